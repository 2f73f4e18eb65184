import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import { queueKeys } from '../../src/drivers/redis/redis-keys.ts';
import type { Delivery } from '../../src/drivers/driver.ts';
import { eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { adminClient, deletePrefix, makeDriver, scanKeys, uniquePrefix } from './redis/redis-test-env.ts';

/*
 * Delayed publish and delayed requeue (retry backoff) on the real Redis.
 * Lower bounds are strict (never early); upper bounds are loose (the
 * machine is shared), never a speed claim.
 */

const prefix = uniquePrefix('delay');
const m = (n: number, headers: Record<string, number> = {}) => ({ id: `m${n}`, body: { n }, headers });
/** Slack for "due, then fetched, then delivered" on a busy machine. */
const LATE_MS = 1500;

describe('redis driver: delays', { timeout: 30_000 }, () => {
  let driver: RedisDriver;
  let admin: Redis;
  const queue = async (options: Record<string, unknown> = {}): Promise<string> => {
    const name = uniqueQueueName('dly');
    await driver.declare({ id: `test:${name}`, name, options });
    return name;
  };
  /** Records each delivery with the time it arrived. */
  const timed = (c: ReturnType<RedisDriver['consume']>) => {
    const got: { d: Delivery; at: number }[] = [];
    const sub = c.deliveries.subscribe((batch) => {
      const at = Date.now();
      for (const d of batch) got.push({ d, at });
    });
    return { got, stop: () => sub.unsubscribe() };
  };

  beforeAll(async () => {
    driver = makeDriver(prefix);
    await driver.start();
    admin = adminClient();
  });
  afterAll(async () => {
    await driver.stop();
    await admin.quit();
    await deletePrefix(prefix);
  });

  it('a delayed publish is not delivered before its delay, and a batch keeps its order', async () => {
    const q = await queue();
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 10 });
    const rec = timed(c);
    c.request(10);
    await sleep(100); // the consumer is idle, waiting
    const sent = Date.now();
    await driver.publish(q, [m(1), m(2), m(3)], { delayMs: 1200 });
    await eventually(() => rec.got.length === 3, 1200 + LATE_MS + 1000, '3 delayed deliveries');
    for (const { at } of rec.got) {
      expect(at - sent).toBeGreaterThanOrEqual(1200);
      expect(at - sent).toBeLessThan(1200 + LATE_MS);
    }
    expect(rec.got.map((g) => g.d.id)).toEqual(['m1', 'm2', 'm3']);
    for (const { d } of rec.got) await c.ack(d);
    rec.stop();
    await c.cancel();
    expect(await driver.info(q)).toMatchObject({ message_count: 0, delayed: 0 });
  });

  it('messages published after a delayed one are delivered before it (no head-of-line blocking)', async () => {
    const q = await queue();
    const sent = Date.now();
    await driver.publish(q, [m(1)], { delayMs: 1000 });
    await driver.publish(q, [m(2), m(3)]);
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 1 });
    const rec = timed(c);
    // Credit 1 at a time: the delayed message must not hold it while it waits.
    c.request(1);
    for (let i = 0; i < 3; i++) {
      await eventually(() => rec.got.length === i + 1, 1000 + LATE_MS + 1000, `delivery ${i + 1}`);
      await c.ack(rec.got[i]!.d);
      c.request(1);
    }
    expect(rec.got.map((g) => g.d.id)).toEqual(['m2', 'm3', 'm1']);
    expect(rec.got[1]!.at - sent).toBeLessThan(1000);
    expect(rec.got[2]!.at - sent).toBeGreaterThanOrEqual(1000);
    rec.stop();
    await c.cancel();
  });

  it('requeue with a delay: the next attempt comes no sooner, attempts kept, others handled meanwhile', async () => {
    const q = await queue();
    await driver.publish(q, [m(1)]);
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 1 });
    const rec = timed(c);
    c.request(1);
    await eventually(() => rec.got.length === 1, 5000, 'first attempt');
    const first = rec.got[0]!.d;
    const requeuedAt = Date.now();
    await c.requeue(first, { ...first.headers, attempts: 1 }, 1000);
    expect(await driver.info(q)).toMatchObject({ delayed: 1, ready: 0, in_flight: 0 });
    await driver.publish(q, [m(2)]);
    c.request(1);
    await eventually(() => rec.got.length === 2, 5000, 'the other message');
    expect(rec.got[1]!.d.id).toBe('m2');
    await c.ack(rec.got[1]!.d);
    c.request(1);
    await eventually(() => rec.got.length === 3, 1000 + LATE_MS + 1000, 'second attempt');
    const again = rec.got[2]!;
    expect(again.d.id).toBe('m1');
    expect(again.d.headers['attempts']).toBe(1);
    expect(again.d.body).toEqual({ n: 1 });
    expect(again.at - requeuedAt).toBeGreaterThanOrEqual(1000);
    expect(again.at - requeuedAt).toBeLessThan(1000 + LATE_MS);
    // A second backoff keeps counting.
    const second = Date.now();
    await c.requeue(again.d, { ...again.d.headers, attempts: 2 }, 300);
    c.request(1);
    await eventually(() => rec.got.length === 4, 300 + LATE_MS + 1000, 'third attempt');
    expect(rec.got[3]!.d.headers['attempts']).toBe(2);
    expect(rec.got[3]!.at - second).toBeGreaterThanOrEqual(300);
    await c.ack(rec.got[3]!.d);
    rec.stop();
    await c.cancel();
    expect(await driver.info(q)).toMatchObject({ message_count: 0, delayed: 0 });
  });

  it('info().delayed counts messages waiting for a delay; once due they count as ready', async () => {
    const q = await queue();
    await driver.publish(q, [m(1), m(2), m(3)], { delayMs: 600 });
    await driver.publish(q, [m(4)]);
    expect(await driver.info(q)).toMatchObject({ delayed: 3, ready: 1, message_count: 1, in_flight: 0 });
    await sleep(700);
    // Nobody fetched: still in the delayed set, but due.
    expect(await admin.zcard(queueKeys(prefix, q).delayed)).toBe(3);
    expect(await driver.info(q)).toMatchObject({ delayed: 0, ready: 4, message_count: 4 });
  });

  it('a requeue repeated after a lost reply neither loses nor duplicates the message', async () => {
    const q = await queue();
    await driver.publish(q, [m(1)]);
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 2 });
    const rec = record(c);
    c.request(2);
    await eventually(() => rec.items.length === 1, 5000, 'delivery');
    const d = rec.items[0]!;
    await c.requeue(d, { attempts: 1 }, 500);
    await c.requeue(d, { attempts: 1 }, 500); // what a settle retried after a reconnect does
    expect(await driver.info(q)).toMatchObject({ delayed: 1, in_flight: 0 });
    await eventually(() => rec.items.length === 2, 500 + LATE_MS + 1000, 'redelivery');
    await sleep(300);
    expect(rec.stop().map((x) => x.id)).toEqual(['m1', 'm1']);
    expect(await driver.info(q)).toMatchObject({ delayed: 0, ready: 0, in_flight: 1 });
    await c.cancel();
  });

  it('a delayed requeue of a message a reaper already took back does nothing', async () => {
    const q = await queue();
    await driver.publish(q, [m(1)]);
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 1 });
    const rec = record(c);
    c.request(1);
    await eventually(() => rec.items.length === 1, 5000, 'delivery');
    // What a reaper does to a consumer it presumes dead: everything back to ready.
    const k = queueKeys(prefix, q);
    const proc = (await scanKeys(admin, `${k.procPrefix}*`))[0]!;
    const held = await admin.hgetall(proc);
    await admin.rpush(k.ready, ...Object.values(held));
    await admin.del(proc);
    await c.requeue(rec.items[0]!, { attempts: 1 }, 5000);
    expect(await driver.info(q)).toMatchObject({ delayed: 0, ready: 1 });
    expect(await admin.exists(k.delayed)).toBe(0);
    rec.stop();
    await c.cancel();
  });

  it('rejects a delay that is not a finite number of ms >= 0, naming the queue, storing nothing', async () => {
    const q = await queue();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      await expect(driver.publish(q, [m(1)], { delayMs: bad })).rejects.toMatchObject({
        code: 'INVALID_MESSAGE',
        message: expect.stringContaining(`publish to ${q}: delay must be`),
      });
    }
    expect(await driver.info(q)).toMatchObject({ ready: 0, delayed: 0 });
    await driver.publish(q, [m(1)]);
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 1 });
    const rec = record(c);
    c.request(1);
    await eventually(() => rec.items.length === 1, 5000, 'delivery');
    await expect(c.requeue(rec.items[0]!, { attempts: 1 }, -5)).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
      message: expect.stringContaining(`requeue of message m1 on ${q}: delay must be`),
    });
    // Still held: nothing lost.
    expect(await driver.info(q)).toMatchObject({ in_flight: 1, delayed: 0 });
    await c.ack(rec.stop()[0]!);
    await c.cancel();
  });

  it('message_ttl of a delayed publish counts from its due time; a backoff does not extend it', async () => {
    const q = await queue({ message_ttl: '400ms' });
    await driver.publish(q, [m(1)], { delayMs: 700 });
    await sleep(800);
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 1 });
    const rec = record(c);
    c.request(1);
    await eventually(() => rec.items.length === 1, 5000, 'delivered although the delay exceeds the ttl');
    // Requeued with a backoff longer than what is left of its life: it expires.
    await c.requeue(rec.items[0]!, { attempts: 1 }, 600);
    c.request(1);
    await sleep(600 + 500);
    expect(rec.stop()).toHaveLength(1);
    expect(await driver.info(q)).toMatchObject({ message_count: 0, delayed: 0, expired: 1 });
    await c.cancel();
  });

  it('max_length bounds ready plus delayed messages', async () => {
    const q = await queue({ max_length: 2, on_full: 'fail' });
    await driver.publish(q, [m(1)], { delayMs: 60_000 });
    await driver.publish(q, [m(2)]);
    await expect(driver.publish(q, [m(3)], { delayMs: 10 })).rejects.toMatchObject({ code: 'PUBLISH_REJECTED' });
    await expect(driver.publish(q, [m(4)])).rejects.toMatchObject({ code: 'PUBLISH_REJECTED' });
    expect(await driver.info(q)).toMatchObject({ ready: 1, delayed: 1 });
  });
});
