import { afterAll, describe, expect, it } from 'vitest';
import type { AmqpDriver } from '../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../src/drivers/amqp/amqp-options.ts';
import type { Message } from '../../src/message/message.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { NotFoundError } from '../../src/errors/not-found-error.ts';
import { PublishRejectedError } from '../../src/errors/lifecycle-errors.ts';
import { collect, eventually, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { brokerQueueCounts, destroyQueue, makeDriver, withRawChannel } from './amqp/broker-helpers.ts';

const msg = (id: string, body: unknown, headers: Message['headers'] = {}): Message => ({ id, body, headers });

describe('amqp driver on RabbitMQ', () => {
  const drivers: AmqpDriver[] = [];
  const queues: string[] = [];
  const started = async (overrides: Record<string, unknown> = {}): Promise<AmqpDriver> => {
    const d = makeDriver(overrides);
    drivers.push(d);
    await d.start();
    return d;
  };
  const declare = async (driver: AmqpDriver, options: Record<string, unknown> = {}, name = uniqueQueueName('amqp')) => {
    if (!queues.includes(name)) queues.push(name);
    const q = { id: `test:${name}`, name, options: amqpQueueOptionsSchema.parse(options) };
    await driver.declare(q);
    return q;
  };

  afterAll(async () => {
    for (const d of drivers) await d.stop();
    for (const q of queues) await destroyQueue(q).catch(() => undefined);
  });

  it('a durable queue keeps unacked and unconsumed messages across a consumer restart', async () => {
    const first = await started();
    const q = await declare(first, { durable: true });
    await first.publish(q.name, [msg('1', 1), msg('2', 2), msg('3', 3)]);
    const c = first.consume(q.name, { consumerId: 'c', maxUnsettled: 2 });
    const got = collect(c, 2);
    c.request(2);
    const [one] = await got;
    await c.ack(one!); // the second stays unacked when this consumer goes away
    await first.stop();

    const second = await started();
    await declare(second, { durable: true }, q.name);
    const c2 = second.consume(q.name, { consumerId: 'c2', maxUnsettled: 10 });
    const rest = collect(c2, 2);
    c2.request(10);
    const ds = await rest;
    expect(ds.map((d) => d.id).sort()).toEqual(['2', '3']);
    for (const d of ds) await c2.ack(d);
    await c2.cancel();
  });

  it('delivers messages published while no consumer ran', async () => {
    const driver = await started();
    const q = await declare(driver);
    await driver.publish(q.name, Array.from({ length: 20 }, (_, i) => msg(`m${i}`, { i })));
    expect(await brokerQueueCounts(q.name)).toEqual({ messages: 20, consumers: 0 });
    const c = driver.consume(q.name, { consumerId: 'late', maxUnsettled: 20 });
    const got = collect(c, 20);
    c.request(20);
    const ds = await got;
    expect(ds.map((d) => (d.body as { i: number }).i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const d of ds) await c.ack(d);
    await c.cancel();
  });

  it('round-trips header types and amqp.* steering headers', async () => {
    const driver = await started();
    const q = await declare(driver, { max_priority: 10 });
    const now = Date.now() / 1000;
    const headers = {
      int: 42, negative: -7, short: 300, int32: 70_000, big: 2 ** 40, float: 1.5, tiny: -0.25, yes: true, no: false,
      text: 'héllo', empty: '', timestamp: 1_700_000_000, precise_time: now,
      'amqp.priority': 7, 'amqp.delivery_mode': 1, 'amqp.content_encoding': 'identity', 'amqp.expiration': 60_000,
    };
    await driver.publish(q.name, [msg('h', { ok: true }, headers)]);
    const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 1 });
    const got = collect(c, 1);
    c.request(1);
    const [d] = await got;
    // As Wippy reports them: content-encoding as `encoding`, the expiration as the property's string, the content type.
    const { 'amqp.content_encoding': encoding, ...rest } = headers;
    expect(d!.headers).toStrictEqual({ ...rest, encoding, 'amqp.expiration': '60000', content_type: 'application/json' });
    expect(typeof d!.headers.timestamp).toBe('number');
    expect(Number.isInteger(d!.headers.int)).toBe(true);
    await c.ack(d!);
    await c.cancel();
  });

  it('reads messages from other AMQP clients by the JSON codec whatever their content type, AMQP typed headers as plain values; parks what is not JSON', async () => {
    const driver = await started();
    const q = await declare(driver);
    await withRawChannel(async (ch) => {
      ch.sendToQueue(q.name, Buffer.from('"json text"'), { contentType: 'text/plain', messageId: 'raw-1', headers: { n: 5 } });
      ch.sendToQueue(q.name, Buffer.from('{broken'), { messageId: 'raw-2' });
      ch.sendToQueue(q.name, Buffer.from('{"ok":true}'), { messageId: 'raw-3' });
      ch.sendToQueue(q.name, Buffer.from('plain text'), { contentType: 'text/plain', messageId: 'raw-4' });
      await ch.waitForConfirms();
    });
    const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 5 });
    const got = collect(c, 2);
    c.request(5);
    const ds = await got;
    const none = { 'amqp.priority': 0, 'amqp.delivery_mode': 0 };
    expect(ds.map((d) => [d.id, d.body, d.headers])).toEqual([
      ['raw-1', 'json text', { n: 5, content_type: 'text/plain', ...none }],
      ['raw-3', { ok: true }, none],
    ]);
    for (const d of ds) await c.ack(d);
    // No dead-letter queue on this declaration: the broken ones are parked, not delivered.
    await eventually(async () => (await driver.info(q.name)).parked === 2, 5000, 'parked 2');
    await c.cancel();
    await destroyQueue(`${q.name}.parked`);
  });

  it('message_ttl and amqp.expiration drop expired messages', async () => {
    const driver = await started();
    const ttlQueue = await declare(driver, { message_ttl: '150ms' });
    const plain = await declare(driver);
    await driver.publish(ttlQueue.name, [msg('a', 1), msg('b', 2)]);
    await driver.publish(plain.name, [msg('short', 1, { 'amqp.expiration': 100 }), msg('long', 2)]);
    await eventually(async () => (await driver.info(ttlQueue.name)).ready === 0, 3000, 'queue TTL expiry');
    const c = driver.consume(plain.name, { consumerId: 'c', maxUnsettled: 5 });
    await sleep(250); // past the per-message expiration; RabbitMQ drops it when it reaches the head
    const got = collect(c, 1);
    c.request(5);
    const ds = await got;
    await sleep(100);
    expect(ds.map((d) => d.id)).toEqual(['long']);
    await c.ack(ds[0]!);
    await c.cancel();
  });

  it('max_length drops the oldest by default; overflow reject_publish makes publish reject', async () => {
    const driver = await started();
    const dropping = await declare(driver, { max_length: 2 });
    await driver.publish(dropping.name, [1, 2, 3, 4, 5].map((n) => msg(`m${n}`, n)));
    expect((await driver.info(dropping.name)).ready).toBe(2);
    const c = driver.consume(dropping.name, { consumerId: 'c', maxUnsettled: 5 });
    const got = collect(c, 2);
    c.request(5);
    expect((await got).map((d) => d.body)).toEqual([4, 5]);
    await c.cancel();

    const rejecting = await declare(driver, { max_length: 2, overflow: 'reject_publish' });
    const attempt = driver.publish(rejecting.name, [msg('r1', 1), msg('r2', 2), msg('r3', 3)]);
    await expect(attempt).rejects.toBeInstanceOf(PublishRejectedError);
    await expect(attempt).rejects.toThrow(/refused 1 of 3 message\(s\).*r3/);
    expect((await driver.info(rejecting.name)).ready).toBe(2);
  });

  it('reports a queue redeclared with other arguments as a config error', async () => {
    const driver = await started();
    const q = await declare(driver, { durable: true });
    const other = makeDriver();
    drivers.push(other);
    await other.start();
    const error = await other.declare({ id: 'test:clash', name: q.name, options: amqpQueueOptionsSchema.parse({ durable: false }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]).toMatchObject({ entryId: 'test:clash', field: 'driver_options.amqp' });
    // The failed declaration does not break the driver.
    const ok = await declare(other);
    await other.publish(ok.name, [msg('x', 1)]);
  });

  it('reports a queue deleted behind its back as not found, for publish, info and consume', async () => {
    const driver = await started();
    const q = await declare(driver);
    await destroyQueue(q.name);
    await expect(driver.publish(q.name, [msg('x', 1)])).rejects.toBeInstanceOf(NotFoundError);
    await expect(driver.info(q.name)).rejects.toBeInstanceOf(NotFoundError);
    const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 1 });
    c.request(1);
    await expect(collect(c, 1, 3000)).rejects.toBeInstanceOf(NotFoundError);
    // The driver keeps working for other queues.
    const fine = await declare(driver);
    await driver.publish(fine.name, [msg('y', 2)]);
    expect((await driver.info(fine.name)).ready).toBe(1);
  });

  it('shares one queue between consumers on two drivers (two connections)', async () => {
    const a = await started();
    const b = await started();
    const q = await declare(a);
    await declare(b, {}, q.name);
    const ca = a.consume(q.name, { consumerId: 'a', maxUnsettled: 5 });
    const cb = b.consume(q.name, { consumerId: 'b', maxUnsettled: 5 });
    const seen: string[] = [];
    for (const c of [ca, cb]) {
      c.deliveries.subscribe((batch) => {
        for (const d of batch) {
          seen.push(d.id);
          void c.ack(d);
        }
        c.request(batch.length);
      });
      c.request(5);
    }
    await a.publish(q.name, Array.from({ length: 100 }, (_, i) => msg(`s${i}`, i)));
    await eventually(() => seen.length >= 100, 5000, '100 deliveries');
    await sleep(100);
    expect(new Set(seen).size).toBe(100);
    expect(seen.length).toBe(100);
    await ca.cancel();
    await cb.cancel();
  });
});
