import { describe, expect, it } from 'vitest';
import type { Driver } from '../../src/drivers/driver.ts';
import type { Message } from '../../src/message/message.ts';
import { NotFoundError } from '../../src/errors/not-found-error.ts';
import { asDelivered, collect, driverUnderTest, eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { describeDelayConformance } from './conformance-delays.ts';

/**
 * How the conformance suite gets a driver under test. Each backend's test
 * file calls {@link describeDriverConformance} with one of these.
 */
export interface ConformanceTarget {
  /** Makes a new, not yet started driver. */
  create(): Promise<Driver>;
  /** This driver's section of `driver_options` for test queues. */
  readonly queueOptions?: Readonly<Record<string, unknown>>;
  /** Removes a test queue from the backend after the suite. */
  destroyQueue?(name: string): Promise<void>;
  /** Whether `release` puts messages back at the head of the queue (otherwise: anywhere, but delivered again). */
  readonly releasesToHead: boolean;
  /** Whether the driver accepts a publish before `start()`. */
  readonly publishBeforeStart: boolean;
  /**
   * Whether the backend delivers a publisher's messages in the order they
   * were published. An SQS standard queue promises no order: for it the
   * order checks only check that every message arrived once. @default true
   */
  readonly ordered?: boolean;
  /**
   * Headers the driver reports on every delivery of a message published
   * without them (AMQP reports its properties, as Wippy does:
   * `content_type`, `amqp.priority`, `amqp.delivery_mode`). Compared
   * exactly, under the published headers. @default {}
   */
  readonly reportedHeaders?: Message['headers'];
}

const msg = (id: string, body: unknown, headers: Message['headers'] = {}): Message => ({ id, body, headers });

/**
 * The behaviour every driver must show, written once against the
 * {@link Driver} contract and run for each backend. `name` is also the
 * driver kind's suffix (`queue.driver.<name>`): the delay cases run the
 * whole runtime on the target's driver through that kind.
 */
export function describeDriverConformance(name: string, target: ConformanceTarget): void {
  describe(`driver conformance: ${name}`, () => {
    let driver!: Driver;
    const declare = driverUnderTest(target, name.replace(/\W/g, ''), 'test:', (d) => (driver = d));

    it('declare is idempotent', async () => {
      const q = await declare();
      await driver.declare(q);
      await driver.publish(q.name, [msg('a', { n: 1 })]);
      await driver.declare(q);
      await eventually(async () => (await driver.info(q.name)).message_count === 1, 5000, 'message_count 1');
    });

    it('body, id and headers survive with their types', async () => {
      const q = await declare();
      const headers = {
        timestamp: 1700000000, correlation_id: 'c-1', reply_to: 'app:replies', content_type: 'application/json',
        message_type: 'task', encoding: 'utf-8', schema: 'v1', source: 'test', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate: 'a=b', int: 42, float: 1.5, yes: true, no: false, text: 'x y',
      };
      const body = { nested: { list: [1, 'two', { three: 3 }] }, unicode: 'héllo ✓' };
      await driver.publish(q.name, [msg('id-1', body, headers)]);
      const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 10 });
      const got = collect(c, 1);
      c.request(10);
      const [d] = await got;
      expect(d!.id).toBe('id-1');
      expect(d!.body).toEqual(body);
      expect(d!.headers).toEqual({ ...target.reportedHeaders, ...headers });
      await c.ack(d!);
      await c.cancel();
    });

    it('delivers messages published before any consumer attached, in order', async () => {
      const q = await declare();
      await driver.publish(q.name, [1, 2, 3, 4, 5].map((n) => msg(`m${n}`, n)));
      const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 10 });
      const got = collect(c, 5);
      c.request(10);
      const ds = await got;
      expect(asDelivered(target, ds.map((d) => d.body as number))).toEqual([1, 2, 3, 4, 5]);
      for (const d of ds) await c.ack(d);
      await c.cancel();
    });

    it('never delivers more than the credit granted', async () => {
      const q = await declare();
      await driver.publish(q.name, Array.from({ length: 20 }, (_, i) => msg(`m${i}`, i)));
      const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 5 });
      const rec = record(c);
      c.request(5);
      await eventually(() => rec.items.length === 5, 5000, '5 deliveries');
      await sleep(150);
      expect(rec.items.length).toBe(5);
      for (const d of rec.items) await c.ack(d);
      c.request(3);
      await eventually(() => rec.items.length === 8, 5000, '8 deliveries');
      await sleep(150);
      expect(rec.items.length).toBe(8);
      rec.stop();
      await c.cancel();
    });

    it('keeps queues isolated', async () => {
      const a = await declare();
      const b = await declare();
      await driver.publish(a.name, [msg('a1', 'for a')]);
      await driver.publish(b.name, [msg('b1', 'for b')]);
      const ca = driver.consume(a.name, { consumerId: 'a', maxUnsettled: 10 });
      const got = collect(ca, 1);
      ca.request(10);
      const [d] = await got;
      expect(d!.body).toBe('for a');
      await sleep(100);
      expect((await driver.info(b.name)).ready).toBe(1);
      await ca.ack(d!);
      await ca.cancel();
    });

    it('delivers each message to exactly one of several consumers', async () => {
      const q = await declare();
      const c1 = driver.consume(q.name, { consumerId: 'c1', maxUnsettled: 50 });
      const c2 = driver.consume(q.name, { consumerId: 'c2', maxUnsettled: 50 });
      const r1 = record(c1);
      const r2 = record(c2);
      c1.request(1000);
      c2.request(1000);
      const total = 200;
      await driver.publish(q.name, Array.from({ length: total }, (_, i) => msg(`m${i}`, i)));
      await eventually(() => r1.items.length + r2.items.length >= total, 10000, `${total} deliveries`);
      await sleep(100);
      const ids = [...r1.stop(), ...r2.stop()].map((d) => d.id);
      expect(ids.length).toBe(total);
      expect(new Set(ids).size).toBe(total);
      for (const d of r1.items) await c1.ack(d);
      for (const d of r2.items) await c2.ack(d);
      await c1.cancel();
      await c2.cancel();
    });

    it('loses nothing under concurrent publishers', async () => {
      const q = await declare();
      const publishers = 8;
      const each = 50;
      await Promise.all(
        Array.from({ length: publishers }, (_, p) =>
          (async () => {
            for (let i = 0; i < each; i++) await driver.publish(q.name, [msg(`p${p}-${i}`, { p, i })]);
          })(),
        ),
      );
      const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 500 });
      const got = collect(c, publishers * each, 10000);
      c.request(publishers * each);
      const ds = await got;
      expect(new Set(ds.map((d) => d.id)).size).toBe(publishers * each);
      // Each publisher's own messages keep their order.
      for (let p = 0; p < publishers; p++) {
        const mine = ds.filter((d) => (d.body as { p: number }).p === p).map((d) => (d.body as { i: number }).i);
        expect(asDelivered(target, mine)).toEqual(Array.from({ length: each }, (_, i) => i));
      }
      for (const d of ds) await c.ack(d);
      await c.cancel();
    });

    it('ack removes the message; info counts ready, in flight and consumers', async () => {
      const q = await declare();
      await driver.publish(q.name, [msg('a', 1), msg('b', 2), msg('c', 3)]);
      await eventually(async () => (await driver.info(q.name)).ready === 3, 5000, 'ready 3');
      const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 2 });
      const got = collect(c, 2);
      c.request(2);
      const ds = await got;
      await eventually(async () => {
        const i = await driver.info(q.name);
        return i.ready === 1 && i.in_flight === 2 && i.message_count === 3 && i.consumer_count === 1;
      }, 5000, 'ready 1, in_flight 2, consumer_count 1');
      for (const d of ds) await c.ack(d);
      await eventually(async () => (await driver.info(q.name)).message_count === 1, 5000, 'message_count 1 after acks');
      await c.cancel();
      await eventually(async () => (await driver.info(q.name)).consumer_count === 0, 5000, 'consumer_count 0');
    });

    it('requeue puts the message at the tail with new headers, same id and body', async () => {
      const q = await declare();
      await driver.publish(q.name, [msg('1', 'one', { k: 'v' }), msg('2', 'two'), msg('3', 'three')]);
      const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 10 });
      const rec = record(c);
      c.request(1);
      await eventually(() => rec.items.length === 1, 5000, 'first delivery');
      const first = rec.items[0]!;
      expect(first.id).toBe('1');
      await c.requeue(first, { k: 'v', attempts: 1 });
      c.request(10);
      await eventually(() => rec.items.length === 4, 5000, '4 deliveries');
      expect(rec.items.slice(1).map((d) => d.body)).toEqual(['two', 'three', 'one']);
      const again = rec.items[3]!;
      expect(again.id).toBe('1');
      expect(again.headers).toEqual({ ...target.reportedHeaders, k: 'v', attempts: 1 });
      for (const d of rec.stop().slice(1)) await c.ack(d);
      await c.cancel();
    });

    it('deadLetter moves the message to another queue with its headers', async () => {
      const q = await declare();
      const dlq = await declare();
      await driver.publish(q.name, [msg('x', { bad: true })]);
      const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 10 });
      const got = collect(c, 1);
      c.request(10);
      const [d] = await got;
      await c.deadLetter(d!, dlq.name, { attempts: 3, x_original_queue: 'test:q', x_dead_letter_reason: 'boom', x_dead_letter_time: 1 });
      await eventually(async () => (await driver.info(q.name)).message_count === 0, 5000, 'source empty');
      const cd = driver.consume(dlq.name, { consumerId: 'd', maxUnsettled: 10 });
      const gotDead = collect(cd, 1);
      cd.request(10);
      const [dead] = await gotDead;
      expect(dead!.id).toBe('x');
      expect(dead!.body).toEqual({ bad: true });
      expect(dead!.headers).toMatchObject({ attempts: 3, x_original_queue: 'test:q', x_dead_letter_reason: 'boom' });
      await cd.ack(dead!);
      await c.cancel();
      await cd.cancel();
    });

    it('release gives messages back untouched for redelivery', async () => {
      const q = await declare();
      await driver.publish(q.name, [msg('1', 1, { attempts: 2 }), msg('2', 2), msg('3', 3)]);
      const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 10 });
      const got = collect(c, 2);
      c.request(2);
      const ds = await got;
      await c.cancel();
      await c.release(ds);
      const c2 = driver.consume(q.name, { consumerId: 'c2', maxUnsettled: 10 });
      const again = collect(c2, 3);
      c2.request(10);
      const all = await again;
      if (target.releasesToHead) expect(all.map((d) => d.id)).toEqual(['1', '2', '3']);
      else expect(all.map((d) => d.id).sort()).toEqual(['1', '2', '3']);
      expect(all.find((d) => d.id === '1')!.headers.attempts).toBe(2);
      for (const d of all) await c2.ack(d);
      await c2.cancel();
    });

    it('cancel stops deliveries and deliveries already out can still be settled', async () => {
      const q = await declare();
      await driver.publish(q.name, [msg('1', 1), msg('2', 2)]);
      const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 10 });
      const got = collect(c, 1);
      c.request(1);
      const [d] = await got;
      await c.cancel();
      c.request(10);
      await c.ack(d!);
      await eventually(async () => (await driver.info(q.name)).message_count === 1, 5000, 'one left');
      expect((await driver.info(q.name)).ready).toBe(1);
    });

    it('rejects unknown queues with NotFoundError for publish, consume and info', async () => {
      const missing = uniqueQueueName('missing');
      await expect(driver.publish(missing, [msg('a', 1)])).rejects.toBeInstanceOf(NotFoundError);
      await expect(driver.info(missing)).rejects.toBeInstanceOf(NotFoundError);
      let consumeError: unknown;
      try {
        const c = driver.consume(missing, { consumerId: 'c', maxUnsettled: 1 });
        c.request(1);
        await collect(c, 1, 2000);
      } catch (e) {
        consumeError = e;
      }
      expect(consumeError).toBeInstanceOf(NotFoundError);
    });
  });

  describe(`driver lifecycle: ${name}`, () => {
    it('publishes before start when the backend allows it, and refuses publishes after stop', async () => {
      const driver = await target.create();
      const q = { id: 'test:life', name: uniqueQueueName('life'), options: target.queueOptions ?? {} };
      try {
        if (target.publishBeforeStart) {
          await driver.declare(q);
          await driver.publish(q.name, [msg('early', 'early')]);
          await driver.start();
        } else {
          await driver.start();
          await driver.declare(q);
          await driver.publish(q.name, [msg('early', 'early')]);
        }
        const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 1 });
        const got = collect(c, 1);
        c.request(1);
        const [d] = await got;
        expect(d!.body).toBe('early');
        await c.ack(d!);
        await c.cancel();
      } finally {
        await driver.stop();
        await driver.stop(); // idempotent
        await target.destroyQueue?.(q.name).catch(() => {});
      }
      await expect(driver.publish(q.name, [msg('late', 'late')])).rejects.toMatchObject({ code: 'DRIVER_STOPPED' });
    });
    it('starts again after a stop (a runtime restart or a restart policy reuses the driver)', async () => {
      const driver = await target.create();
      const q = { id: 'test:again', name: uniqueQueueName('again'), options: target.queueOptions ?? {} };
      try {
        await driver.start();
        await driver.declare(q);
        await driver.publish(q.name, [msg('before', 'before')]);
        await driver.stop();
        await driver.start();
        await driver.declare(q);
        await driver.publish(q.name, [msg('after', 'after')]);
        const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 10 });
        const got = collect(c, 2);
        c.request(10);
        const ds = await got;
        expect(ds.map((d) => d.body).sort()).toEqual(['after', 'before']);
        for (const d of ds) await c.ack(d);
        await c.cancel();
      } finally {
        await driver.stop();
        await target.destroyQueue?.(q.name).catch(() => {});
      }
    });
  });

  describeDelayConformance(name, target);
}
