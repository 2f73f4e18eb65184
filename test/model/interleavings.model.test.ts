import { afterEach, describe, expect, it } from 'vitest';
import { createMachine, type EventObject } from 'xstate';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import type { Handler } from '../../src/functions/handler.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { faultDrivers, kindsWithFaults, type FaultDriver } from '../support/fault-driver.ts';
import { runPath, transitionPaths } from './transition-paths.ts';
import { until } from './runtime-targets.ts';

/**
 * Generated interleavings of lifecycle events and message work, run on the
 * real runtime over the fault-injecting driver. The abstract model puts a
 * stop in every state, including the awkward ones: while a queue is still
 * being declared, while a handler runs, while the consumer backs off after
 * its subscription broke (with and without a handler still running).
 *
 * After every path the runtime is stopped, and then: every promise the
 * test got from the runtime has settled, no handler runs unless the stop
 * reported it (`StopTimeoutError`), and `acked + queued = published`.
 */
const model = createMachine({
  id: 'interleavings',
  initial: 'loaded',
  states: {
    loaded: { on: { START: 'starting', STOP: 'stopped' } },
    // The queue's declaration is slow: start() is under way.
    starting: { on: { DECLARED: 'running', STOP: 'stopped' } },
    running: { on: { WORK: 'busy', BREAK: 'restarting', STOP: 'stopped' } },
    busy: { on: { FINISH: 'running', BREAK: 'restartingBusy', STOP: 'stopped', HANDLER_TIMEOUT: 'running' } },
    // The subscription broke; the restart backoff is long, so it stays here.
    restarting: { on: { STOP: 'stopped' } },
    restartingBusy: { on: { FINISH: 'restarting', STOP: 'stopped' } },
    stopped: { on: { START: 'starting' } },
  },
});
const EVENTS = ['START', 'DECLARED', 'WORK', 'FINISH', 'BREAK', 'STOP', 'HANDLER_TIMEOUT'].map((type) => ({ type }));
const { paths } = transitionPaths(model, EVENTS);

/** Consumer machine state expected in each model state. */
const CONSUMER_STATE: Record<string, string> = {
  loaded: 'idle',
  starting: 'idle|stopped',
  running: 'running',
  busy: 'running',
  restarting: 'restarting',
  restartingBusy: 'restarting',
  stopped: 'stopped',
};

/** A handler whose calls the test releases by hand. */
class HeldHandler {
  readonly open: (() => void)[] = [];
  running = 0;
  calls = 0;
  readonly handler: Handler = () => {
    this.calls++;
    this.running++;
    return new Promise<void>((resolve) =>
      this.open.push(() => {
        this.running--;
        resolve();
      }),
    );
  };
  releaseAll(): void {
    for (const open of this.open.splice(0)) open();
  }
}

let counter = 0;
let runtime: Runtime | undefined;
let held: HeldHandler | undefined;
afterEach(async () => {
  held?.releaseAll();
  await runtime?.stop().catch(() => {});
  runtime = held = undefined;
});

describe('model: lifecycle interleavings on a fault-injecting driver', () => {
  it('covers every transition of the abstract model', () => {
    expect(paths).toHaveLength(15);
  });

  it.each(paths.map((p) => [p.description, p] as const))('%s', async (_d, path) => {
    const name = `i${process.pid}x${counter++}`;
    const yaml = `
namespace: i
entries:
  - { name: ${name}, kind: queue.driver.faulty, lifecycle: { auto_start: true, stop_timeout: 2s } }
  - { name: q, kind: queue.queue, driver: i:${name} }
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
    const h = (held = new HeldHandler());
    const rt = (runtime = createRuntime({
      registry: parseConfigText(yaml, '<model>', { kinds: kindsWithFaults, extraFunctionIds: ['i:h'] }),
      kinds: kindsWithFaults,
      functions: { 'i:h': h.handler },
      logger: silentLogger,
    }));
    await rt.load();
    const driver = (): FaultDriver => faultDrivers.get(`i:${name}`)!;
    driver().faults.declareDelay = 120;
    const promises: { settled: boolean }[] = [];
    const track = (p: Promise<unknown>) => {
      const t = { settled: false };
      promises.push(t);
      return p.then(
        (v) => ((t.settled = true), { ok: true as const, v }),
        (e: unknown) => ((t.settled = true), { ok: false as const, e }),
      );
    };
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
          const before = h.calls;
          await rt.publish('i:q', { n: published++ });
          await until(() => expect(h.calls).toBe(before + 1));
          break;
        }
        case 'FINISH':
          h.releaseAll();
          await until(() => expect(rt.consumerStats('i:c').running).toBe(0));
          break;
        case 'BREAK':
          driver().breakSubscriptions();
          await until(() => expect(rt.system.get('i:c')!.getSnapshot().value).toBe('restarting'));
          break;
        case 'HANDLER_TIMEOUT':
          // The consumer's timeout frees the worker; the message is retried.
          await until(() => expect(rt.consumerStats('i:c').detached).toBe(1), 2000);
          h.releaseAll(); // the late result is ignored; its retry may run, so release it too
          await until(() => expect(rt.consumerStats('i:c').running + h.running).toBe(0), 2000).catch(() => h.releaseAll());
          h.releaseAll();
          await until(() => expect(rt.consumerStats('i:c').running).toBe(0), 2000);
          break;
        case 'STOP': {
          const outcome = await track(rt.stop());
          if (!outcome.ok) {
            expect(outcome.e).toMatchObject({ code: 'STOP_TIMEOUT' });
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

    const check = async (state: string) => {
      await until(() => expect(CONSUMER_STATE[state]!.split('|')).toContain(rt.system.get('i:c')!.getSnapshot().value));
      if (state === 'stopped') {
        expect(rt.root.getSnapshot().value).toBe('stopped');
        expect(rt.system.get(`i:${name}`)!.getSnapshot().value).toBe('stopped');
      }
    };

    await runPath(path, exec, check, 'loaded');

    // Final stop, then the invariants.
    await track(rt.stop());
    h.releaseAll();
    await new Promise((r) => setTimeout(r, 20));
    expect(promises.every((p) => p.settled)).toBe(true);
    if (!stopReportedStragglers) expect(h.running).toBe(0);
    const stats = rt.consumerStats('i:c');
    // A declaration cut short by a stop may still land (declarations are idempotent); let it.
    await until(() => expect(driver().pending.declare).toBe(0));
    const queued = published === 0 ? 0 : (await driver().inner.info('q')).message_count;
    expect(stats.acked + queued).toBe(published);
  });
});
