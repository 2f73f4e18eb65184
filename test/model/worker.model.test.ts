import { afterEach, describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import { GatedHandler } from '../../src/testing/gated-handler.ts';
import { workerModel } from '../../src/testing/models/worker-model.ts';
import { runPath, stateMeta, transitionPaths, type PathStep } from '../../src/testing/paths.ts';
import { createTestRuntime, type Outcome, type TestRuntime } from '../../src/testing/test-runtime.ts';
import { until } from '../../src/testing/until.ts';

/**
 * Every transition of the kit's `workerModel` on the test runtime: one
 * consumer with one worker, a handler the test finishes by hand, a
 * handler `timeout` longer than the `stop_timeout` (so a stop's wait is
 * never cut by the handler's timeout), and `max_attempts: 1` so a
 * timed-out message is dead-lettered rather than retried (the worker is
 * free after `HANDLER_TIMEOUT`).
 */
const YAML = `namespace: wm
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: wm:d, dead_letter: { queue: wm:dead, max_attempts: 1 } }
  - { name: dead, kind: queue.queue, driver: wm:d }
  - name: c
    kind: queue.consumer
    queue: wm:q
    func: wm:h
    concurrency: 1
    prefetch: 1
    timeout: 2s
    lifecycle: { auto_start: false, stop_timeout: 1s }
`;
const WORKER = 'wm:c#worker-0';

const { paths } = transitionPaths(workerModel);

let t: TestRuntime | undefined;
let gate: GatedHandler | undefined;
afterEach(async () => {
  gate?.finishAll();
  await t?.dispose();
  t = gate = undefined;
});

describe('model: worker machine on the test runtime', () => {
  it('covers every transition of the model', () => {
    expect(paths).toHaveLength(9);
  });

  it.each(paths.map((p) => [p.description, p] as const))('%s', { timeout: 20_000 }, async (_d, path) => {
    const g = (gate = new GatedHandler());
    const test = (t = createTestRuntime({ yaml: YAML, functions: { 'wm:h': g.handler } }));
    await test.runtime.start();
    let stopping: Promise<Outcome<void>> | undefined;
    let detached = 0;
    const exec = async (event: EventObject, from: string) => {
      switch (event.type) {
        case 'START':
          expect((await test.track(test.runtime.startEntry('wm:c'))).ok).toBe(true);
          break;
        case 'STOP':
          stopping = test.track(test.runtime.stopEntry('wm:c'));
          if (from === 'running') expect((await stopping).ok).toBe(true);
          break;
        case 'WORK': {
          const before = g.calls.length;
          await test.runtime.publish('wm:q', { n: before });
          await until(() => expect(g.calls).toHaveLength(before + 1));
          break;
        }
        case 'FINISH':
          g.open[0]!.finish();
          if (from === 'draining') expect((await stopping!).ok).toBe(true);
          break;
        case 'HANDLER_TIMEOUT':
          await until(() => expect(test.runtime.consumerStats('wm:c').detached).toBe(detached + 1), 10_000);
          detached++;
          // The late result changes nothing: the message was nacked and dead-lettered.
          g.open[0]!.finish();
          await until(() => expect(test.runtime.consumerStats('wm:c').deadLettered).toBe(detached));
          break;
        case 'STOP_TIMEOUT': {
          const outcome = await stopping!;
          expect(outcome.ok).toBe(false);
          expect((outcome as { error: unknown }).error).toMatchObject({ code: 'STOP_TIMEOUT' });
          g.open[0]!.finish(); // ignored: the message went back to the queue
          break;
        }
      }
    };
    const check = async (_state: string, step: PathStep) => {
      const meta = stateMeta(step.state);
      await test.waitForState(WORKER, meta.machine);
      await until(() => expect(test.runtime.consumerStats('wm:c').running).toBe(meta.holds ? 1 : 0));
    };
    await runPath(path, { exec, check });
  });
});
