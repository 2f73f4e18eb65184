import { afterEach, describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import { StartError } from '../../src/errors/lifecycle-errors.ts';
import { queueModel } from '../../src/testing/models/queue-model.ts';
import { runPath, stateMeta, transitionPaths, type PathStep } from '../../src/testing/paths.ts';
import { createTestRuntime, type TestRuntime } from '../../src/testing/test-runtime.ts';
import { until } from '../../src/testing/until.ts';

/**
 * Every transition of the kit's `queueModel`, including a start whose
 * declaration fails, on the test runtime: a configuration written for
 * Redis, validated as such, run on a fault driver (`faults.failDeclare`).
 */
const YAML = `namespace: qm
entries:
  - { name: redis, kind: queue.driver.redis, url: "redis://127.0.0.1:6379", lifecycle: { auto_start: true } }
  - { name: jobs, kind: queue.queue, driver: qm:redis }
`;
const ID = 'qm:jobs';

/** Lifecycle states the queue actor passes through during each model transition. */
const TRACE: Record<string, string[]> = {
  'idle:START': ['starting', 'running'],
  'idle:START_FAILS': ['starting', 'failed'],
  'idle:STOP': ['stopped'],
  'running:STOP': ['draining', 'stopped'],
  'stopped:START': ['starting', 'running'],
  'stopped:START_FAILS': ['starting', 'failed'],
  'failed:START': ['starting', 'running'],
  'failed:STOP': ['stopped'],
};

const { paths } = transitionPaths(queueModel);

let t: TestRuntime | undefined;
afterEach(async () => {
  await t?.dispose();
  t = undefined;
});

describe('model: queue machine on the test runtime', () => {
  it('covers every transition of the model', () => {
    expect(paths.map((p) => p.description.replace(/"/g, '').replace(/ --(\S+)--> \S+/, ':$1')).sort()).toEqual(Object.keys(TRACE).sort());
  });

  it.each(paths.map((p) => [p.description, p] as const))('%s', async (_d, path) => {
    const test = (t = createTestRuntime({ yaml: YAML }));
    await test.runtime.load();
    await test.runtime.startEntry('qm:redis');
    const exec = async (event: EventObject, from: string) => {
      test.mark();
      const driver = test.driver('qm:redis');
      if (event.type === 'START') expect((await test.track(test.runtime.startEntry(ID))).ok).toBe(true);
      if (event.type === 'STOP') expect((await test.track(test.runtime.stopEntry(ID))).ok).toBe(true);
      if (event.type === 'START_FAILS') {
        driver.faults.failDeclare = true;
        const outcome = await test.track(test.runtime.startEntry(ID));
        driver.faults.failDeclare = false;
        expect(outcome.ok).toBe(false);
        expect((outcome as { error: unknown }).error).toBeInstanceOf(StartError);
        expect(String((outcome as { error: StartError }).error.failures.get(ID))).toMatch(/fault: declare of jobs fails/);
      }
      await until(() => expect(test.trace(ID)).toEqual(TRACE[`${from}:${event.type}`]));
    };
    const check = (_state: string, step: PathStep) => test.waitForState(ID, stateMeta(step.state).machine);
    await runPath(path, { exec, check });
    expect(test.unsettled).toBe(0);
    // The driver was never touched by the queue's life.
    expect(test.state('qm:redis')).toBe('running.connected');
  });
});
