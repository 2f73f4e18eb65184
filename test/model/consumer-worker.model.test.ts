import { afterEach, describe, expect, it, beforeAll } from 'vitest';
import type { EventObject } from 'xstate';
import { RUNTIME_TARGETS, GatedHandler, makeHarness, until, type Harness } from './runtime-targets.ts';
import { runPath, stateMeta, transitionPaths, type PathStep } from '../../src/testing/paths.ts';
import { consumerModel } from '../../src/testing/models/consumer-model.ts';

/**
 * Model-based tests of the consumer and worker machines, on the real
 * runtime, once per available driver.
 *
 * Both machines use `invoke`/`after` (start, drain, stop timeout, restart
 * backoff), which `createTestModel` rejects, so the model is the kit's
 * abstract `consumerModel` (`src/testing/`), written as the specification
 * (not derived from `machines/`, or a broken machine would agree with
 * itself). Its states' `meta` says what the consumer and its worker show
 * (`busy` is `running` with one handler in flight, the only way to hold a
 * consumer in `draining`). Each model transition also states the
 * lifecycle states the real consumer must pass through on the way (from
 * `runtime.events$`), so transient states (`starting`, `restarting`) are
 * checked too.
 */
/** What `runtime.events$` must show for the consumer during each model transition. */
const EXPECTED_TRACE: Record<string, string[]> = {
  'idle:START': ['starting', 'running'],
  'running:STOP': ['draining', 'stopped'],
  'running:WORK': [],
  'running:BREAK': ['restarting', 'starting', 'running'],
  'busy:STOP': ['draining'],
  'busy:FINISH': [],
  'draining:FINISH': ['stopped'],
  'draining:STOP_TIMEOUT': ['stopped'],
  'stopped:START': ['starting', 'running'],
};


const { paths } = transitionPaths(consumerModel);

describe.each(RUNTIME_TARGETS.map((t) => [t.name, t] as const))('model: consumer + worker machines on %s', (_name, target) => {
  beforeAll(() => target.prepare?.());
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
        case 'STOP_TIMEOUT': {
          const outcome = await stopping;
          expect(outcome).toMatchObject({ code: 'STOP_TIMEOUT' });
          released++;
          gate.open[0]!.finish(); // the late result must be ignored
          break;
        }
        case 'BREAK':
          consumer().send({ type: 'consumer.fail', error: new Error('subscription broke (model test)') });
          await until(() => expect(harness.trace(ids.consumer)).toContain('running'));
          break;
      }
      await until(() => expect(harness.trace(ids.consumer)).toEqual(EXPECTED_TRACE[`${from}:${event.type}`]));
      void to;
    };

    const check = async (_state: string, step: PathStep) => {
      const meta = stateMeta(step.state);
      await until(() => {
        expect(consumer().getSnapshot().value).toBe(meta.machine);
        expect(worker().getSnapshot().value).toBe(meta.worker);
        const stats = runtime.consumerStats(ids.consumer);
        expect(stats.running).toBe(meta.running);
        expect(stats.released).toBeGreaterThanOrEqual(released);
        expect(stats.acked + stats.nacked).toBeLessThanOrEqual(gate.calls.length);
      });
    };

    await runPath(path, { exec, check });
  });
});
