import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import { redisDriverOptionsSchema } from '../../src/drivers/redis/redis-kind.ts';
import { queueKeys } from '../../src/drivers/redis/redis-keys.ts';
import type { Consumption, Delivery } from '../../src/drivers/driver.ts';
import { recordingLogger } from '../support/runtime-kit.ts';
import { eventually, uniqueQueueName } from './conformance-helpers.ts';
import { REDIS_URL, adminClient, deletePrefix, uniquePrefix } from './redis/redis-test-env.ts';
import { MALFORMED } from './redis/foreign-entries.ts';

const prefix = uniquePrefix('foreign');
/** Not valid UTF-8: ioredis reads it as U+FFFD, so only base64 keeps the bytes. */
const BINARY = Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x80]);
const good = (n: number) => ({ id: `g${n}`, body: { n }, headers: { timestamp: 1 } });

/** Header faults alone: delivered, with sanitised headers. */
const HEADER_FAULTS = [
  { raw: '["hnull",null,{"h":1}]', id: 'hnull', headers: {} },
  { raw: '["hstr","text",{"h":2}]', id: 'hstr', headers: {} },
  { raw: '["hneg",{"attempts":-5,"k":"v"},{"h":3}]', id: 'hneg', headers: { k: 'v' } },
];

describe('redis driver: foreign entries in the ready list', { timeout: 20_000 }, () => {
  let admin: Redis;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => void unhandled.push(e);
  const drivers: RedisDriver[] = [];

  const start = async () => {
    const logger = recordingLogger();
    const driver = new RedisDriver('test:foreign', redisDriverOptionsSchema.parse({ url: REDIS_URL, key_prefix: prefix, reconnect_delay: 50, reconnect_max_delay: 500 }), { logger });
    drivers.push(driver);
    await driver.start();
    return { driver, logger };
  };

  /**
   * Good messages (published by the driver) with every malformed kind pushed
   * straight into the ready list between them, then the header faults.
   * Returns the IDs that must be delivered, in order.
   */
  const fill = async (driver: RedisDriver, q: string, extra: readonly string[] = []): Promise<string[]> => {
    const ready = queueKeys(prefix, q).ready;
    const expected: string[] = [];
    const foreign: (string | Buffer)[] = [...MALFORMED.map((m) => m.raw), BINARY, ...extra];
    for (let i = 0; i < foreign.length; i++) {
      await driver.publish(q, [good(i)]);
      expected.push(`g${i}`);
      await admin.rpush(ready, foreign[i]!);
    }
    for (const h of HEADER_FAULTS) {
      await admin.rpush(ready, h.raw);
      expected.push(h.id);
    }
    await driver.publish(q, [good(999)]);
    expected.push('g999');
    return expected;
  };

  /** Acks every delivery and grants its credit back, a few at a time so batches mix good and foreign. */
  const drain = (c: Consumption, credit: number) => {
    const got: Delivery[] = [];
    c.deliveries.subscribe((batch) => {
      for (const d of batch) {
        got.push(d);
        void Promise.resolve(c.ack(d)).then(() => c.request(1));
      }
    });
    c.request(credit);
    return got;
  };

  /** The set-aside envelope of each foreign entry, by its raw text (binary: by base64). */
  const byRaw = (envelopes: readonly Delivery[]) => new Map(envelopes.map((d) => [d.body as string, d]));

  beforeAll(async () => {
    admin = adminClient();
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.stop();
    expect(unhandled).toEqual([]);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await admin.quit();
    await deletePrefix(prefix);
  });

  it('delivers every good message and moves each foreign entry to the dead-letter queue with its bytes', async () => {
    const { driver, logger } = await start();
    const q = uniqueQueueName('foreign');
    const dlq = `${q}-dlq`;
    await driver.declare({ id: 'test:dlq', name: dlq, options: {} });
    await driver.declare({ id: 'test:q', name: q, options: {}, deadLetterName: dlq });
    const expected = await fill(driver, q);

    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 10 });
    const got = drain(c, 4);
    await eventually(() => got.length === expected.length, 5000, `${expected.length} deliveries`);
    expect(got.map((d) => d.id)).toEqual(expected);
    for (const h of HEADER_FAULTS) expect(got.find((d) => d.id === h.id)!.headers).toEqual(h.headers);

    const foreignCount = MALFORMED.length + 1;
    await eventually(async () => (await driver.info(dlq)).ready === foreignCount, 5000, 'dead-lettered entries');
    expect(await driver.info(q)).toMatchObject({ ready: 0, parked: 0 });

    const d = driver.consume(dlq, { consumerId: 'dc', maxUnsettled: 100 });
    const dead = drain(d, 100);
    await eventually(() => dead.length === foreignCount, 5000, 'dead-letter deliveries');
    const envelopes = byRaw(dead);
    for (const m of MALFORMED) {
      const e = envelopes.get(m.raw);
      expect(e, m.label).toBeDefined();
      expect(e!.headers).toMatchObject({ x_original_queue: 'test:q', x_dead_letter_time: expect.any(Number) });
      expect(e!.headers['x_dead_letter_reason']).toMatch(m.reason);
      expect(e!.headers['x_raw_encoding']).toBeUndefined();
    }
    const bin = envelopes.get(BINARY.toString('base64'));
    expect(bin?.headers).toMatchObject({ x_raw_encoding: 'base64', x_dead_letter_reason: expect.stringMatching(/^malformed entry: not actorq framing/) });
    expect(Buffer.from(bin!.body as string, 'base64').equals(BINARY)).toBe(true);
    expect(logger.records.filter((r) => r.level === 'warn' && r.fields?.['queue'] === q)).toHaveLength(foreignCount);

    // Still consuming afterwards.
    await driver.publish(q, [good(1000)]);
    await eventually(() => got.at(-1)?.id === 'g1000', 5000, 'a delivery after the foreign entries');
    await c.cancel();
    await d.cancel();
  });

  it('parks foreign entries of a queue without a dead-letter queue, counts them in info() and logs each at error level', async () => {
    const { driver, logger } = await start();
    const q = uniqueQueueName('parked');
    // With a TTL the fetch script reads stamps: `5|hello` looks like one but is not actorq's, so it is parked, not expired.
    await driver.declare({ id: 'test:parked', name: q, options: { message_ttl: 3_600_000 } });
    const expected = await fill(driver, q, ['5|hello']);
    await admin.rpush(queueKeys(prefix, q).ready, '5|["expired",{},1]'); // actorq framing, long expired: dropped as expired

    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 10 });
    const got = drain(c, 3);
    await eventually(() => got.length === expected.length, 5000, `${expected.length} deliveries`);
    expect(got.map((d) => d.id)).toEqual(expected);

    const parkedCount = MALFORMED.length + 2;
    await eventually(async () => (await driver.info(q)).parked === parkedCount, 5000, 'parked entries');
    expect(await driver.info(q)).toMatchObject({ ready: 0, in_flight: 0, message_count: 0, parked: parkedCount, expired: 1 });

    // Parked entries are actorq messages ([id, headers, body]) whose body is the raw entry.
    const parked = (await admin.lrange(queueKeys(prefix, q).parked, 0, -1)).map((raw) => {
      const [id, headers, body] = JSON.parse(raw) as [string, Record<string, string | number>, string];
      return { id, headers, body };
    });
    const envelopes = byRaw(parked);
    for (const m of [...MALFORMED.map((x) => x.raw), '5|hello']) expect(envelopes.get(m)?.headers['x_original_queue']).toBe('test:parked');
    const errors = logger.records.filter((r) => r.level === 'error');
    expect(errors).toHaveLength(parkedCount);
    for (const e of errors) {
      expect(e.message).toMatch(/parked/);
      expect(e.fields).toMatchObject({ queue: q, reason: expect.stringMatching(/^malformed entry: /) });
    }

    await driver.publish(q, [good(1000)]);
    await eventually(() => got.at(-1)?.id === 'g1000', 5000, 'a delivery after the foreign entries');
    await c.cancel();
  });

  it('a fetch that cannot record its batch puts every popped entry back, in order', async () => {
    const { driver } = await start();
    const q = uniqueQueueName('wrongtype');
    await driver.declare({ id: 'test:wt', name: q, options: {} });
    await driver.publish(q, [1, 2, 3].map(good));
    const k = queueKeys(prefix, q);
    await admin.hset(k.meta, 'seq', 'not a number'); // HINCRBY seq now fails after the pop
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 10 });
    const failed = new Promise<unknown>((resolve) => c.deliveries.subscribe({ error: resolve }));
    c.request(10);
    expect(String(await failed)).toMatch(/not an integer/);
    expect((await admin.lrange(k.ready, 0, -1)).map((raw) => (JSON.parse(raw) as [string])[0])).toEqual(['g1', 'g2', 'g3']);
    await c.cancel();
  });
});
