import { afterEach, describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import { createTestRuntime, type TestRuntime } from '../../src/testing/test-runtime.ts';
import { GatedHandler } from '../../src/testing/gated-handler.ts';
import { stopRestartModel } from '../../src/testing/models/stop-restart-model.ts';
import { runPath, stateMeta, transitionPaths, type PathStep } from '../../src/testing/paths.ts';
import { until } from '../../src/testing/until.ts';

/**
 * Generated interleavings of lifecycle events and message work, run on the
 * real runtime over the kit's fault-injecting driver (`createTestRuntime`).
 * The kit's `stopRestartModel` puts a stop in every state, including the
 * awkward ones: while a queue is still being declared, while a handler
 * runs, while the consumer backs off after its subscription broke (with
 * and without a handler still running).
 *
 * After every path the runtime is stopped, and then: every promise the
 * test got from the runtime has settled, no handler runs unless the stop
 * reported it (`StopTimeoutError`), and `acked + queued = published`.
 */
const { paths } = transitionPaths(stopRestartModel);

let t: TestRuntime | undefined;
let held: GatedHandler | undefined;
afterEach(async () => {
  held?.finishAll();
  await t?.dispose();
  t = held = undefined;
});

describe('model: lifecycle interleavings on a fault-injecting driver', () => {
  it('covers every transition of the abstract model', () => {
    expect(paths).toHaveLength(15);
  });

  it.each(paths.map((p) => [p.description, p] as const))('%s', async (_d, path) => {
    // Written for AMQP; the test runtime validates it as such and runs it on a fault driver.
    const yaml = `
namespace: i
entries:
  - { name: broker, kind: queue.driver.amqp, url: "amqp://guest:guest@127.0.0.1:5672", lifecycle: { auto_start: true, stop_timeout: 2s } }
  - { name: q, kind: queue.queue, driver: i:broker }
  - name: c
    kind: queue.consumer
    queue: i:q
    func: i:h
    concurrency: 1
    prefetch: 2
    timeout: 250ms
    lifecycle:
      auto_start: true
      stop_timeout: 150ms
      restart: { initial_delay: 60s, max_delay: 60s, jitter: 0 }
`;
    const h = (held = new GatedHandler());
    const test = (t = createTestRuntime({ yaml, functions: { 'i:h': h.handler } }));
    const rt = test.runtime;
    await rt.load();
    const driver = () => test.driver('i:broker');
    driver().faults.declareDelay = 120;
    const track = (p: Promise<unknown>) => test.track(p);
    let published = 0;
    let stopReportedStragglers = false;

    const exec = async (event: EventObject, from: string) => {
      switch (event.type) {
        case 'START':
          void track(rt.start());
          await until(() => expect(driver().pending.declare).toBeGreaterThan(0));
          break;
        case 'DECLARED':
          await until(() => expect(rt.root.getSnapshot().value).toBe('running'));
          break;
        case 'WORK': {
          const before = h.calls.length;
          await rt.publish('i:q', { n: published++ });
          await until(() => expect(h.calls.length).toBe(before + 1));
          break;
        }
        case 'FINISH':
          h.finishAll();
          await until(() => expect(rt.consumerStats('i:c').running).toBe(0));
          break;
        case 'BREAK':
          driver().breakSubscriptions();
          await until(() => expect(rt.system.get('i:c')!.getSnapshot().value).toBe('restarting'));
          break;
        case 'HANDLER_TIMEOUT':
          // The consumer's timeout frees the worker; the message is retried.
          await until(() => expect(rt.consumerStats('i:c').detached).toBe(1), 2000);
          h.finishAll(); // the late result is ignored; its retry may run, so release it too
          await until(() => expect(rt.consumerStats('i:c').running + h.running).toBe(0), 2000).catch(() => h.finishAll());
          h.finishAll();
          await until(() => expect(rt.consumerStats('i:c').running).toBe(0), 2000);
          break;
        case 'STOP': {
          const outcome = await track(rt.stop());
          if (!outcome.ok) {
            expect(outcome.error).toMatchObject({ code: 'STOP_TIMEOUT' });
            stopReportedStragglers = true;
          } else {
            // A clean stop leaves no handler running.
            expect(h.running).toBe(0);
          }
          expect(from === 'busy' || from === 'restartingBusy' || outcome.ok).toBe(true);
          break;
        }
      }
    };

    const check = async (state: string, step: PathStep) => {
      await test.waitForState('i:c', stateMeta(step.state).consumer);
      if (state === 'stopped') {
        expect(test.state('actorq')).toBe('stopped');
        expect(test.state('i:broker')).toBe('stopped');
      }
    };

    await runPath(path, { exec, check });

    // Final stop, then the invariants.
    const last = await track(rt.stop());
    if (!last.ok) {
      expect(last.error).toMatchObject({ code: 'STOP_TIMEOUT' });
      stopReportedStragglers = true;
    }
    // Every promise the runtime gave out settled by the time the stop did.
    expect(test.unsettled).toBe(0);
    // A clean stop leaves no handler running; one it reported may still run until finished here.
    if (!stopReportedStragglers) expect(h.running).toBe(0);
    h.finishAll();
    const stats = rt.consumerStats('i:c');
    // A declaration cut short by a stop may still land (declarations are idempotent); let it.
    await until(() => expect(driver().pending.declare).toBe(0));
    const queued = published === 0 ? 0 : (await driver().inner.info('q')).message_count;
    expect(stats.acked + queued).toBe(published);
  });
});
