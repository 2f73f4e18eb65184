import { afterEach, describe, expect, it } from 'vitest';
import { createMachine, type EventObject } from 'xstate';
import { RUNTIME_TARGETS, GatedHandler, makeHarness, until, type Harness } from './runtime-targets.ts';
import { runPath, transitionPaths } from './transition-paths.ts';

/**
 * Model-based tests of the consumer and worker machines, on the real
 * runtime, once per available driver.
 *
 * Both machines use `invoke`/`after` (start, drain, stop timeout, restart
 * backoff), which `createTestModel` rejects, so the model is an abstract
 * machine of the same states with explicit events, written here as the
 * specification (not derived from `machines/`, or a broken machine would
 * agree with itself). `busy` is `running` with one handler in flight, the
 * only way to hold a consumer in `draining`. Each model transition also
 * states the lifecycle states the real consumer must pass through on the
 * way (from `runtime.events$`), so transient states (`starting`,
 * `restarting`) are checked too.
 */
const consumerModel = createMachine({
  id: 'consumer-model',
  initial: 'idle',
  states: {
    // `stopEntry` on a consumer that never started is a no-op (the runtime
    // sends no `consumer.stop`), so idle --STOP--> stopped is not modelled.
    idle: { on: { START: 'running' } },
    running: { on: { STOP: 'stopped', WORK: 'busy', FAIL: 'running' } },
    busy: { on: { STOP: 'draining', FINISH: 'running' } },
    draining: { on: { FINISH: 'stopped', TIMEOUT: 'stopped' } },
    stopped: { on: { START: 'running' } },
  },
});

const EVENTS: EventObject[] = ['START', 'STOP', 'WORK', 'FINISH', 'FAIL', 'TIMEOUT'].map((type) => ({ type }));

/** What `runtime.events$` must show for the consumer during each model transition. */
const EXPECTED_TRACE: Record<string, string[]> = {
  'idle:START': ['starting', 'running'],
  'running:STOP': ['draining', 'stopped'],
  'running:WORK': [],
  'running:FAIL': ['restarting', 'starting', 'running'],
  'busy:STOP': ['draining'],
  'busy:FINISH': [],
  'draining:FINISH': ['stopped'],
  'draining:TIMEOUT': ['stopped'],
  'stopped:START': ['starting', 'running'],
};

/** The worker machine's state expected in each consumer model state (concurrency 1). */
const WORKER_STATE: Record<string, string> = { idle: 'idle', running: 'running', busy: 'running', draining: 'draining', stopped: 'stopped' };

const { paths } = transitionPaths(consumerModel, EVENTS);

describe.each(RUNTIME_TARGETS.map((t) => [t.name, t] as const))('model: consumer + worker machines on %s', (_name, target) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  it('covers every transition of the abstract model', () => {
    expect(paths.map((p) => p.description.split(' ')[1]).sort()).toEqual(
      Object.keys(EXPECTED_TRACE)
        .map((k) => `--${k.split(':')[1]}-->`)
        .sort(),
    );
  });

  it.each(paths.map((p) => [p.description, p] as const))('%s', async (_d, path) => {
    const gate = new GatedHandler();
    const harness = (h = makeHarness(target, gate.handler, { stopTimeout: 300 }));
    const { runtime, ids } = harness;
    await runtime.start();
    const consumer = () => runtime.system.get(ids.consumer)!;
    const worker = () => runtime.system.get(`${ids.consumer}#worker-0`)!;
    let stopping: Promise<unknown> | undefined;
    let released = 0;

    const exec = async (event: EventObject, from: string, to: string) => {
      harness.mark();
      switch (event.type) {
        case 'START':
          await runtime.startEntry(ids.consumer);
          break;
        case 'STOP':
          stopping = runtime.stopEntry(ids.consumer).then(
            () => 'ok',
            (e: unknown) => e,
          );
          if (from !== 'busy') expect(await stopping).toBe('ok');
          break;
        case 'WORK': {
          const before = gate.calls.length;
          await runtime.publish(ids.queue, { n: before });
          await until(() => expect(gate.calls.length).toBe(before + 1));
          break;
        }
        case 'FINISH':
          gate.open[0]!.finish();
          if (from === 'draining') expect(await stopping).toBe('ok');
          break;
        case 'TIMEOUT': {
          const outcome = await stopping;
          expect(outcome).toMatchObject({ code: 'STOP_TIMEOUT' });
          released++;
          gate.open[0]!.finish(); // the late result must be ignored
          break;
        }
        case 'FAIL':
          consumer().send({ type: 'consumer.fail', error: new Error('subscription broke (model test)') });
          await until(() => expect(harness.trace(ids.consumer)).toContain('running'));
          break;
      }
      await until(() => expect(harness.trace(ids.consumer)).toEqual(EXPECTED_TRACE[`${from}:${event.type}`]));
      void to;
    };

    const check = async (state: string) => {
      const modelConsumerState = state === 'busy' ? 'running' : state;
      await until(() => {
        expect(consumer().getSnapshot().value).toBe(modelConsumerState);
        expect(worker().getSnapshot().value).toBe(WORKER_STATE[state]);
        const stats = runtime.consumerStats(ids.consumer);
        expect(stats.running).toBe(state === 'busy' || state === 'draining' ? 1 : 0);
        expect(stats.released).toBeGreaterThanOrEqual(released);
        expect(stats.acked + stats.nacked).toBeLessThanOrEqual(gate.calls.length);
      });
    };

    await runPath(path, exec, check, 'idle');
  });
});
