import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Delivery, Driver } from '../../src/drivers/driver.ts';
import type { Message } from '../../src/message/message.ts';
import type { Handler } from '../../src/functions/handler.ts';
import type { KindCatalog } from '../../src/kinds/kind-descriptors.ts';
import { builtinKinds } from '../../src/kinds/builtin-kinds.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { asDelivered, driverUnderTest, eventually, uniqueQueueName } from './conformance-helpers.ts';
import type { ConformanceTarget } from './conformance.ts';

/*
 * Delays in the driver conformance suite, for every driver: delayed
 * publish, delayed requeue (retry backoff), and the queue `retry` policy
 * through the whole runtime on the driver under test. Lower bounds are
 * strict (never early); upper bounds are loose (shared machines, remote
 * brokers), never a speed claim.
 */

/** Slack for "due, then moved, then delivered" on a busy machine and a real broker. */
const LATE_MS = 2500;

const msg = (id: string, body: unknown, headers: Message['headers'] = {}): Message => ({ id, body, headers });

/** Records each delivery of a consumption with the time it arrived. */
function timed(consumption: ReturnType<Driver['consume']>) {
  const got: { d: Delivery; at: number }[] = [];
  const sub = consumption.deliveries.subscribe((batch) => {
    const at = performance.now();
    for (const d of batch) got.push({ d, at });
  });
  return { got, stop: () => sub.unsubscribe() };
}

/**
 * A kind catalog whose driver kind for `name` (`queue.driver.<name>`)
 * builds the conformance target's driver: the runtime then runs on exactly
 * the driver the suite tests, with that kind's real queue options schema.
 */
function catalogFor(name: string, target: ConformanceTarget): { catalog: KindCatalog; kind: string; optionsKey: string } {
  const kind = builtinKinds.drivers.get(`queue.driver.${name}`);
  if (!kind) throw new Error(`conformance: no built-in driver kind queue.driver.${name} to run the runtime cases on`);
  const drivers = new Map(builtinKinds.drivers);
  drivers.set(kind.kind, { ...kind, schema: z.object({}).passthrough(), create: () => target.create() });
  return { catalog: { drivers, functions: builtinKinds.functions }, kind: kind.kind, optionsKey: kind.optionsKey };
}

/** The delay cases of {@link describeDriverConformance}; called from it, so they run for every driver. */
export function describeDelayConformance(name: string, target: ConformanceTarget): void {
  describe(`driver delays: ${name}`, { timeout: 30_000 }, () => {
    let driver!: Driver;
    const declare = driverUnderTest(target, `${name.replace(/\W/g, '')}dly`, 'test:delay', (d) => (driver = d));

    it('a delayed publish is not delivered before its delay, a batch keeps its order, info counts it as delayed', async () => {
      const q = await declare();
      const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 10 });
      const rec = timed(c);
      c.request(10);
      const sent = performance.now();
      await driver.publish(q.name, [msg('d1', 1), msg('d2', 2), msg('d3', 3)], { delayMs: 800 });
      const info = await driver.info(q.name);
      // Where the driver counts them: all three wait (none can be due yet).
      if (info.delayed !== undefined) expect(info.delayed).toBe(3);
      await eventually(() => rec.got.length === 3, 800 + LATE_MS, '3 delayed deliveries');
      for (const { at } of rec.got) {
        expect(at - sent).toBeGreaterThanOrEqual(800);
        expect(at - sent).toBeLessThan(800 + LATE_MS);
      }
      expect(asDelivered(target, rec.got.map((g) => g.d.id))).toEqual(['d1', 'd2', 'd3']);
      for (const { d } of rec.got) await c.ack(d);
      rec.stop();
      await c.cancel();
      const after = await driver.info(q.name);
      if (after.delayed !== undefined) expect(after.delayed).toBe(0);
    });

    it('messages published after a delayed one are delivered first; the delayed one holds no credit', async () => {
      const q = await declare();
      const sent = performance.now();
      await driver.publish(q.name, [msg('late', 'late')], { delayMs: 1000 });
      await driver.publish(q.name, [msg('a', 'a'), msg('b', 'b')]);
      const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 1 });
      const rec = timed(c);
      c.request(1);
      for (let i = 0; i < 3; i++) {
        await eventually(() => rec.got.length === i + 1, 1000 + LATE_MS, `delivery ${i + 1}`);
        await c.ack(rec.got[i]!.d);
        c.request(1);
      }
      expect(rec.got.map((g) => g.d.id)).toEqual(['a', 'b', 'late']);
      expect(rec.got[1]!.at - sent).toBeLessThan(1000);
      expect(rec.got[2]!.at - sent).toBeGreaterThanOrEqual(1000);
      rec.stop();
      await c.cancel();
    });

    it('requeue with a delay: delivered again no sooner, same id and body, new headers; others meanwhile', async () => {
      const q = await declare();
      await driver.publish(q.name, [msg('r', { n: 1 }, { k: 'v' })]);
      const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 1 });
      const rec = timed(c);
      c.request(1);
      await eventually(() => rec.got.length === 1, 5000, 'first delivery');
      const back = performance.now();
      await c.requeue(rec.got[0]!.d, { k: 'v', attempts: 1 }, 800);
      await driver.publish(q.name, [msg('other', 'other')]);
      c.request(1);
      await eventually(() => rec.got.length === 2, 5000, 'the other message');
      expect(rec.got[1]!.d.id).toBe('other');
      await c.ack(rec.got[1]!.d);
      c.request(1);
      await eventually(() => rec.got.length === 3, 800 + LATE_MS, 'the retry');
      const again = rec.got[2]!;
      expect(again.d.id).toBe('r');
      expect(again.d.body).toEqual({ n: 1 });
      expect(again.d.headers).toMatchObject({ k: 'v', attempts: 1 });
      expect(again.at - back).toBeGreaterThanOrEqual(800);
      expect(again.at - back).toBeLessThan(800 + LATE_MS);
      await c.ack(again.d);
      rec.stop();
      await c.cancel();
    });
  });

  describe(`retry policy through the runtime: ${name}`, { timeout: 30_000 }, () => {
    const { catalog, kind, optionsKey } = catalogFor(name, target);
    let runtime: Runtime | undefined;
    const names: string[] = [];
    afterAll(async () => {
      await runtime?.stop().catch(() => {});
      if (target.destroyQueue) for (const n of names) await target.destroyQueue(n).catch(() => {});
    });

    const runtimeWith = (retry: string, maxAttempts: number, handlers: Record<string, Handler>): Runtime => {
      const [q, dlq] = [uniqueQueueName(`${name.replace(/\W/g, '')}rq`), uniqueQueueName(`${name.replace(/\W/g, '')}rdl`)];
      names.push(q, dlq);
      const options = JSON.stringify(target.queueOptions ?? {});
      const yaml = `
namespace: c
entries:
  - { name: d, kind: ${kind}, lifecycle: { auto_start: true } }
  - name: q
    kind: queue.queue
    driver: c:d
    queue_name: ${q}
    driver_options: { ${optionsKey}: ${options} }
    retry: ${retry}
    dead_letter: { queue: c:dlq, max_attempts: ${maxAttempts} }
  - { name: dlq, kind: queue.queue, driver: c:d, queue_name: ${dlq}, driver_options: { ${optionsKey}: ${options} } }
  - { name: c, kind: queue.consumer, queue: c:q, func: c:h, concurrency: 1, prefetch: 1, lifecycle: { auto_start: true } }
  - { name: dc, kind: queue.consumer, queue: c:dlq, func: c:dh, lifecycle: { auto_start: true } }
`;
      const registry = parseConfigText(yaml, '<conformance>', { kinds: catalog, extraFunctionIds: Object.keys(handlers) });
      return (runtime = createRuntime({ registry, kinds: catalog, functions: handlers, logger: silentLogger }));
    };

    it('gaps between attempts follow the policy, others are handled meanwhile, and max_attempts dead-letters', async () => {
      const calls: { body: unknown; attempts: unknown; at: number }[] = [];
      const dead: { headers: Record<string, unknown>; at: number }[] = [];
      const rt = runtimeWith('{ initial_delay: 300ms, backoff_factor: 2, max_delay: 600ms, jitter: 0 }', 4, {
        'c:h': (body, ctx) => {
          calls.push({ body, attempts: ctx.message.headers['attempts'], at: performance.now() });
          if (body === 'poison') throw new Error('always fails');
        },
        'c:dh': (_body, ctx) => void dead.push({ headers: { ...ctx.message.headers }, at: performance.now() }),
      });
      await rt.start();
      await rt.publish('c:q', 'poison');
      await eventually(() => calls.length === 1, 10_000, 'first attempt');
      // While the poison message backs off, the others go through one worker with prefetch 1.
      await rt.publishBatch('c:q', ['ok1', 'ok2', 'ok3']);
      await eventually(() => dead.length === 1, 300 + 600 + 600 + 3 * LATE_MS, 'the dead-letter');
      const poison = calls.filter((c) => c.body === 'poison');
      expect(poison.map((c) => c.attempts)).toEqual([undefined, 1, 2, 3]);
      const expected = [300, 600, 600];
      for (let i = 1; i < poison.length; i++) {
        const gap = poison[i]!.at - poison[i - 1]!.at;
        expect(gap).toBeGreaterThanOrEqual(expected[i - 1]!);
        expect(gap).toBeLessThan(expected[i - 1]! + LATE_MS);
      }
      const oks = calls.filter((c) => c.body !== 'poison');
      expect(oks.map((c) => c.body).sort()).toEqual(['ok1', 'ok2', 'ok3']);
      for (const ok of oks) expect(ok.at).toBeLessThan(poison[1]!.at);
      expect(dead[0]!.headers).toMatchObject({ attempts: 4, x_original_queue: 'c:q', x_dead_letter_reason: 'always fails' });
      await eventually(async () => (await rt.info('c:q')).message_count === 0, 5000, 'source queue empty');
      const info = await rt.info('c:q');
      if (info.delayed !== undefined) expect(info.delayed).toBe(0);
      await rt.stop();
    });
  });
}
