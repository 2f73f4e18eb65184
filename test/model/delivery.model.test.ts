import { afterEach, describe, expect, it, beforeAll } from 'vitest';
import type { EventObject } from 'xstate';
import { deliveryModel } from '../../src/testing/models/delivery-model.ts';
import { RUNTIME_TARGETS, GatedHandler, makeHarness, until, type Harness } from './runtime-targets.ts';
import { runPath, transitionPaths } from '../../src/testing/paths.ts';

/**
 * Model-based tests of one message's life, generated from the kit's
 * abstract `deliveryModel` (`src/testing/`: the specification, written
 * apart from `machines/delivery.machine.ts`), driving the real runtime: a consumer with concurrency 1
 * and prefetch 1, a blocker message B holding the worker so that the
 * message under test M waits in the buffer (`received`). The delivery
 * machine never runs per message; what is checked is what the worker pool
 * does (counters, handler calls, the "already settled" rule), so a wrong
 * transition in the machine or the table shows up here.
 */
/** The consumer's handler timeout on paths that exercise it (ms); long enough for the steps before it. */
const TIMEOUT_MS = 400;
const { paths } = transitionPaths(deliveryModel);

describe.each(RUNTIME_TARGETS.map((t) => [t.name, t] as const))('model: delivery machine on %s', (_name, target) => {
  beforeAll(() => target.prepare?.());
  let h: Harness | undefined;
  let gate: GatedHandler | undefined;
  afterEach(async () => {
    for (const c of gate?.open ?? []) c.finish();
    await h?.dispose();
    h = gate = undefined;
  });

  it('covers every transition of the delivery machine', () => {
    expect(paths).toHaveLength(12); // received: 2, processing: 6, acked: 2, nacked: 2
  });

  it.each(paths.map((p) => [p.description, p] as const))('%s', async (_d, path) => {
    const g = (gate = new GatedHandler());
    const timed = path.steps.some((step) => step.event.type === 'TIMEOUT');
    const harness = (h = makeHarness(target, g.handler, { stopTimeout: 200, consumerAutoStart: true, ...(timed ? { timeout: TIMEOUT_MS } : {}) }));
    const { runtime, ids } = harness;
    await runtime.start();
    await runtime.publish(ids.queue, { name: 'B' });
    await until(() => expect(g.calls).toHaveLength(1));
    await runtime.publish(ids.queue, { name: 'M' });
    await until(() => expect(runtime.consumerStats(ids.consumer).buffered).toBe(1));
    const m = () => g.calls.find((c) => (c.body as { name: string }).name === 'M');
    const expected = { acked: 0, nacked: 0, released: 0 };
    let stopping: Promise<unknown> | undefined;
    const stop = () =>
      (stopping = runtime.stopEntry(ids.consumer).then(
        () => 'ok',
        (e: unknown) => e,
      ));

    const exec = async (event: EventObject, from: string) => {
      switch (event.type) {
        case 'START':
          g.calls[0]!.finish();
          expected.acked++; // B
          await until(() => expect(m()).toBeDefined());
          break;
        case 'ACK':
          m()!.ctx.message.ack();
          expected.acked++;
          break;
        case 'NACK':
          m()!.ctx.message.nack('model says nack');
          expected.nacked++;
          break;
        case 'RELEASE':
          stop();
          if (from === 'received') {
            g.calls[0]!.finish(); // B finishes; M was never started
            expected.acked++;
            expect(await stopping).toBe('ok');
          } else {
            expect(await stopping).toMatchObject({ code: 'STOP_TIMEOUT' });
          }
          expected.released++;
          break;
        case 'RETURN':
          m()!.finish();
          if (from === 'processing') expected.acked++;
          break;
        case 'FAIL':
          m()!.finish(new Error('model says fail'));
          if (from === 'processing') expected.nacked++;
          break;
        case 'TIMEOUT':
          // The consumer's timeout fires by itself: nack, and the worker is freed.
          await until(() => expect(runtime.consumerStats(ids.consumer).detached).toBe(1), TIMEOUT_MS * 10);
          expected.nacked++;
          break;
      }
    };

    const check = async (state: string) => {
      await until(() => {
        const s = runtime.consumerStats(ids.consumer);
        expect({ acked: s.acked, nacked: s.nacked, released: s.released }).toEqual(expected);
        if (state === 'received') expect(m()).toBeUndefined();
        if (state === 'processing' || state === 'acked' || state === 'nacked') expect(m()?.done).toBe(false);
        if (state === 'done') expect(m()!.done).toBe(true); // a nacked M may be redelivered: a new call, not this one
      });
      if (state === 'acked' || state === 'nacked') {
        // The "already settled" rule: no second settle, whichever kind.
        expect(() => m()!.ctx.message.ack()).toThrow(/already settled/i);
        expect(() => m()!.ctx.message.nack()).toThrow(/already settled/i);
      }
      if (state === 'timedOut') {
        // The handler still runs, detached: its worker went on, and a settle now is late (ignored, not thrown).
        expect(m()!.done).toBe(false);
        const before = runtime.consumerStats(ids.consumer).lateSettles;
        expect(() => m()!.ctx.message.ack()).not.toThrow();
        expect(runtime.consumerStats(ids.consumer).lateSettles).toBe(before + 1);
        // The freed worker took the nacked message's redelivery: a second call for M.
        await until(() => expect(g.calls.filter((c) => (c.body as { name: string }).name === 'M')).toHaveLength(2));
      }
      if (state === 'released' && m() && !m()!.done) expect(() => m()!.ctx.message.ack()).not.toThrow();
    };

    await runPath(path, { exec, check });
  });
});
