import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import { redisDriverOptionsSchema } from '../../src/drivers/redis/redis-kind.ts';
import { queueKeys } from '../../src/drivers/redis/redis-keys.ts';
import { PROMOTE_LIMIT } from '../../src/drivers/redis/redis-lua-delay.ts';
import { IDLE_RECHECK_MS } from '../../src/drivers/redis/redis-ready-watch.ts';
import { startRedisServer, type RedisServer } from '../support/redis-server.ts';
import { eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';

/*
 * How an idle consumer waits for delayed messages: no polling, a wake-up
 * when the earliest is due. A private redis-server (nothing else talks to
 * it) lets MONITOR count the fetch scripts one consumer runs.
 */

const prefix = 'actorq-wake:';
const LATE_MS = 1500;
const m = (n: number) => ({ id: `m${n}`, body: n, headers: {} });

describe('redis driver: waiting for delayed messages', { timeout: 40_000 }, () => {
  let server: RedisServer;
  let driver: RedisDriver;
  let monitor: Awaited<ReturnType<Redis['monitor']>>;
  let admin: Redis;
  /** Times of every fetch script call, per ready key. */
  const fetches = new Map<string, number[]>();

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
    monitor = await admin.duplicate().monitor();
    monitor.on('monitor', (time: string, args: string[]) => {
      // EVALSHA <sha> 4 <ready> <proc> <meta> <delayed> ...: the fetch script.
      if (/^evalsha$|^eval$/i.test(args[0] ?? '') && args[2] === '4' && args[3]?.endsWith(':ready')) {
        const list = fetches.get(args[3]) ?? [];
        list.push(Number(time) * 1000); // the server's clock, the same machine's as Date.now()
        fetches.set(args[3], list);
      }
    });
    driver = new RedisDriver('test:wake', redisDriverOptionsSchema.parse({ url: server.url, key_prefix: prefix }));
    await driver.start();
  });
  afterAll(async () => {
    await driver?.stop();
    monitor?.disconnect();
    admin?.disconnect();
    await server?.stop();
  });

  const queue = async () => {
    const q = uniqueQueueName('wake');
    await driver.declare({ id: `test:${q}`, name: q, options: {} });
    const ready = queueKeys(prefix, q).ready;
    const times = () => fetches.get(ready) ?? [];
    return {
      q,
      fetchesBetween: (from: number, to: number) => times().filter((t) => t >= from && t <= to).length,
      /**
       * How long before the fetch that delivered (the last one up to `at`)
       * the one before it ran. A wake-up by the safety re-check alone comes
       * {@link IDLE_RECHECK_MS} or more after the previous fetch.
       */
      gapBeforeDelivery: async (at: number) => {
        const upTo = () => times().filter((t) => t <= at);
        // MONITOR reports on its own connection: its line for the delivering fetch may trail the delivery.
        await eventually(() => upTo().length >= 2, 2000, 'MONITOR lines of the idle and the delivering fetch');
        const all = upTo();
        return all[all.length - 1]! - all[all.length - 2]!;
      },
    };
  };

  it('an idle consumer wakes when a delay published after it went idle is due, without polling meanwhile', async () => {
    const { q, fetchesBetween } = await queue();
    const c = driver.consume(q, { consumerId: 'idle', maxUnsettled: 5 });
    const rec = record(c);
    c.request(5);
    await sleep(300); // fetched once, found nothing: idle
    const sent = Date.now();
    await driver.publish(q, [m(1)], { delayMs: 3000 });
    await eventually(() => rec.items.length === 1, 3000 + LATE_MS + 1000, 'delayed delivery');
    const at = Date.now();
    expect(at - sent).toBeGreaterThanOrEqual(3000);
    expect(at - sent).toBeLessThan(3000 + LATE_MS);
    // The 2 s safety re-check and the due-time wake-up: a handful, not a loop.
    await eventually(() => fetchesBetween(sent, at) >= 1, 2000, 'the MONITOR line of the delivering fetch');
    expect(fetchesBetween(sent, at)).toBeLessThanOrEqual(4);
    await c.ack(rec.stop()[0]!);
    await c.cancel();
  });

  it('the wake-up comes at the due time told by the notify channel, not from the re-check', async () => {
    const { q, gapBeforeDelivery } = await queue();
    const c = driver.consume(q, { consumerId: 'told', maxUnsettled: 5 });
    const rec = record(c);
    c.request(5);
    await sleep(200); // idle: the next re-check is ~1.8 s away
    await driver.publish(q, [m(1)], { delayMs: 600 });
    await eventually(() => rec.items.length === 1, 600 + LATE_MS + 1000, 'delayed delivery');
    // Due ~800 ms after the idle fetch; only the re-check would wait 2 s.
    expect(await gapBeforeDelivery(Date.now())).toBeLessThan(IDLE_RECHECK_MS);
    await c.ack(rec.stop()[0]!);
    await c.cancel();
  });

  it('a consumer that starts while messages wait learns the due time from its fetch', async () => {
    const { q, fetchesBetween, gapBeforeDelivery } = await queue();
    const sent = Date.now();
    await driver.publish(q, [m(1)], { delayMs: 1200 });
    const c = driver.consume(q, { consumerId: 'late', maxUnsettled: 5 });
    const rec = record(c);
    c.request(5);
    await eventually(() => rec.items.length === 1, 1200 + LATE_MS + 1000, 'delayed delivery');
    const at = Date.now();
    expect(at - sent).toBeGreaterThanOrEqual(1200);
    expect(at - sent).toBeLessThan(1200 + LATE_MS);
    expect(fetchesBetween(sent, at)).toBeLessThanOrEqual(3);
    // Its first fetch found the message not yet due and said when: woken then, not by the re-check.
    expect(await gapBeforeDelivery(at)).toBeLessThan(IDLE_RECHECK_MS);
    await c.ack(rec.stop()[0]!);
    await c.cancel();
  });

  it(`one fetch moves at most ${PROMOTE_LIMIT} due messages; the rest follow, in due order`, async () => {
    const { q } = await queue();
    const k = queueKeys(prefix, q);
    const total = PROMOTE_LIMIT * 2 + 500;
    await driver.publish(q, Array.from({ length: total }, (_, i) => m(i)), { delayMs: 200 });
    await sleep(300);
    const c = driver.consume(q, { consumerId: 'bounded', maxUnsettled: total });
    const rec = record(c);
    c.request(1);
    await eventually(() => rec.items.length === 1, 5000, 'first delivery');
    expect(await admin.zcard(k.delayed)).toBe(total - PROMOTE_LIMIT);
    expect(await admin.llen(k.ready)).toBe(PROMOTE_LIMIT - 1);
    c.request(total - 1);
    await eventually(() => rec.items.length === total, 10_000, 'all delivered');
    expect(rec.stop().map((d) => d.id)).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
    expect(await admin.exists(k.delayed, k.ready)).toBe(0);
    await c.cancel();
  });
});
