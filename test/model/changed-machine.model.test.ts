import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMachine, type EventObject } from 'xstate';
import { GatedHandler } from '../../src/testing/gated-handler.ts';
import { consumerModel } from '../../src/testing/models/consumer-model.ts';
import { runPath, stateMeta, transitionPaths, type PathStep, type TransitionPath } from '../../src/testing/paths.ts';
import { createTestRuntime, type TestRuntime } from '../../src/testing/test-runtime.ts';
import { until } from '../../src/testing/until.ts';

/**
 * The model tests can fail: here the consumer machine the runtime runs is
 * changed on purpose (a stop while running skips `draining`: handlers are
 * not waited for), and the kit's `consumerModel` paths through a stop
 * fail, naming the step, while paths that do not stop still pass.
 */
vi.mock('../../machines/consumer.machine.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../machines/consumer.machine.ts')>();
  const config = original.consumerMachine.config as { states: Record<string, { on?: Record<string, unknown> }> };
  const running = config.states['running']!;
  const changed = createMachine(
    { ...config, states: { ...config.states, running: { ...running, on: { ...running.on, 'consumer.stop': { target: 'stopped', actions: 'stopWorkers' } } } } } as never,
    original.consumerMachine.implementations as never,
  );
  return { ...original, consumerMachine: changed };
});

const YAML = `namespace: cm
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: cm:d }
  - { name: c, kind: queue.consumer, queue: cm:q, func: cm:h, lifecycle: { auto_start: false, stop_timeout: 1s } }
`;

/** Lifecycle states the consumer must pass through in each model step (as in the consumer suite). */
const TRACE: Record<string, string[]> = {
  'idle:START': ['starting', 'running'],
  'running:STOP': ['draining', 'stopped'],
  'running:WORK': [],
  'busy:STOP': ['draining'],
};

const { paths } = transitionPaths(consumerModel, [{ type: 'START' }, { type: 'STOP' }, { type: 'WORK' }]);
const pathTo = (description: string) => paths.find((p) => p.description === description)!;

let t: TestRuntime | undefined;
let gate: GatedHandler | undefined;
afterEach(async () => {
  gate?.finishAll();
  await t?.dispose();
  t = gate = undefined;
});

async function run(path: TransitionPath): Promise<void> {
  const g = (gate = new GatedHandler());
  const test = (t = createTestRuntime({ yaml: YAML, functions: { 'cm:h': g.handler } }));
  await test.runtime.start();
  const exec = async (event: EventObject, from: string) => {
    test.mark();
    if (event.type === 'START') await test.runtime.startEntry('cm:c');
    if (event.type === 'STOP') void test.track(test.runtime.stopEntry('cm:c'));
    if (event.type === 'WORK') {
      await test.runtime.publish('cm:q', { order: 1 });
      await until(() => expect(g.calls).toHaveLength(1));
    }
    await until(() => expect(test.trace('cm:c')).toEqual(TRACE[`${from}:${event.type}`]));
  };
  const check = (_state: string, step: PathStep) => test.waitForState('cm:c', stateMeta(step.state).machine);
  await runPath(path, { exec, check });
}

describe('a machine transition changed on purpose fails the model paths', () => {
  it('the paths under test exist', () => {
    for (const d of ['"idle" --START--> "running"', '"running" --STOP--> "stopped"', '"busy" --STOP--> "draining"']) expect(pathTo(d), d).toBeDefined();
  });

  it('a path without a stop still passes', async () => {
    await run(pathTo('"idle" --START--> "running"'));
  });

  it('running --STOP--> stopped fails: the consumer never drains', async () => {
    await expect(run(pathTo('"running" --STOP--> "stopped"'))).rejects.toThrow(/step running --STOP--> stopped .*expected \[ 'stopped' \] to deeply equal \[ 'draining', 'stopped' \]/s);
  });

  it('busy --STOP--> draining fails: a handler still runs while the consumer is stopped', async () => {
    await expect(run(pathTo('"busy" --STOP--> "draining"'))).rejects.toThrow(/step busy --STOP--> draining/);
    expect(gate!.running).toBe(1);
    expect(t!.state('cm:c')).toBe('stopped');
  });
});
