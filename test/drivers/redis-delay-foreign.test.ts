import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import { queueKeys } from '../../src/drivers/redis/redis-keys.ts';
import type { Delivery } from '../../src/drivers/driver.ts';
import { eventually, record, uniqueQueueName } from './conformance-helpers.ts';
import { adminClient, deletePrefix, makeDriver, uniquePrefix } from './redis/redis-test-env.ts';
import { MALFORMED } from './redis/foreign-entries.ts';

/*
 * Another program's data in, or instead of, a queue's delayed set. Entries
 * moved from the delayed set follow the same rules as ready entries (set
 * aside, never delivered or dropped), and a delayed key of another type
 * fails loudly without losing a message.
 */

const prefix = uniquePrefix('delay-foreign');
const tag = (n: number) => String(n).padStart(15, '0') + ':';

describe('redis driver: foreign data in the delayed set', { timeout: 20_000 }, () => {
  let driver: RedisDriver;
  let admin: Redis;
  const queue = async (): Promise<string> => {
    const name = uniqueQueueName('dlyf');
    await driver.declare({ id: `test:${name}`, name, options: {} });
    return name;
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => void unhandled.push(e);

  beforeAll(async () => {
    driver = makeDriver(prefix);
    await driver.start();
    admin = adminClient();
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => expect(unhandled).toEqual([]));
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await driver.stop();
    await admin.quit();
    await deletePrefix(prefix);
  });

  it('due members another program wrote are delivered when they are actorq messages, parked otherwise', async () => {
    const q = await queue();
    const k = queueKeys(prefix, q);
    // Scores in the past: due at once. Tagged like actorq's own members, and untagged.
    let score = 1;
    for (const m of MALFORMED) await admin.zadd(k.delayed, score++, tag(score) + m.raw);
    await admin.zadd(k.delayed, score++, 'hello');
    await admin.zadd(k.delayed, score++, tag(900) + '["tagged",{"attempts":2},{"a":1}]');
    await admin.zadd(k.delayed, score++, '["untagged",{},{"b":2}]');
    await admin.zadd(k.delayed, Date.now() + 60_000, tag(901) + '["later",{},1]');

    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 10 });
    const rec = record(c);
    c.request(10);
    await eventually(() => rec.items.length === 2, 5000, 'the two actorq messages');
    expect(rec.items.map((d: Delivery) => [d.id, d.headers, d.body])).toEqual([
      ['tagged', { attempts: 2 }, { a: 1 }],
      ['untagged', {}, { b: 2 }],
    ]);
    const parkedCount = MALFORMED.length + 1;
    await eventually(async () => (await driver.info(q)).parked === parkedCount, 5000, 'parked entries');
    expect(await driver.info(q)).toMatchObject({ ready: 0, in_flight: 2, delayed: 1, parked: parkedCount });
    // Parked with the entry as stored after the tag: nothing of it lost.
    const parked = (await admin.lrange(k.parked, 0, -1)).map((raw) => JSON.parse(raw) as [string, Record<string, unknown>, string]);
    const bodies = new Map(parked.map(([, headers, body]) => [body, headers]));
    for (const m of MALFORMED) expect(String(bodies.get(m.raw)?.['x_dead_letter_reason']), m.label).toMatch(m.reason);
    expect(bodies.get('hello')?.['x_dead_letter_reason']).toMatch(/^malformed entry: not actorq framing/);
    for (const d of rec.stop()) await c.ack(d);
    await c.cancel();
  });

  it('a delayed key of another type fails fetch, delayed publish and delayed requeue without losing a message', async () => {
    const q = await queue();
    const k = queueKeys(prefix, q);
    await driver.publish(q, [1, 2].map((n) => ({ id: `g${n}`, body: n, headers: {} })));
    // First a consumer takes one message, then another program takes the key.
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 1 });
    const held: Delivery[] = [];
    const failed = new Promise<unknown>((resolve) => c.deliveries.subscribe({ next: (b) => held.push(...b), error: resolve }));
    c.request(1);
    await eventually(() => held.length === 1, 5000, 'one delivery');
    await admin.set(k.delayed, 'not a zset');

    await expect(c.requeue(held[0]!, { attempts: 1 }, 1000)).rejects.toThrow(/WRONGTYPE/);
    expect(await admin.llen(k.ready)).toBe(1);
    expect(await admin.hlen(`${k.procPrefix}${c.key}`)).toBe(1); // still held

    await expect(driver.publish(q, [{ id: 'd', body: 1, headers: {} }], { delayMs: 100 })).rejects.toThrow(/WRONGTYPE/);
    c.request(1);
    expect(String(await failed)).toMatch(/WRONGTYPE/);
    expect(await admin.lrange(k.ready, 0, -1)).toEqual([JSON.stringify(['g2', {}, 2])]);
    await c.ack(held[0]!);
    await c.cancel();
    await admin.del(k.delayed);
  });
});
