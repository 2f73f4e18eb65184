import { afterEach, describe, expect, it } from 'vitest';
import { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import { redisDriverOptionsSchema } from '../../src/drivers/redis/redis-kind.ts';
import { startRedisServer, type RedisServer } from '../support/redis-server.ts';
import { eventually, record, uniqueQueueName } from './conformance-helpers.ts';

/*
 * The delayed set across a restart of a private redis-server: data like the
 * ready list, so kept with AOF (with its absolute due times) and lost
 * without persistence, while the driver declares the queue again.
 */

const m = (n: number) => ({ id: `m${n}`, body: n, headers: {} });

describe('redis driver: delayed messages across a server restart', { timeout: 40_000 }, () => {
  let server: RedisServer | undefined;
  let driver: RedisDriver | undefined;
  afterEach(async () => {
    await driver?.stop().catch(() => {});
    driver = undefined;
    await server?.stop();
    server = undefined;
  });

  const setUp = async (aof: boolean) => {
    server = await startRedisServer({ aof });
    driver = new RedisDriver('test:delay-restart', redisDriverOptionsSchema.parse({ url: server.url, reconnect_delay: 50, reconnect_max_delay: 300 }));
    await driver.start();
    const q = uniqueQueueName('dlyr');
    await driver.declare({ id: `test:${q}`, name: q, options: {} });
    return { d: driver, s: server, q };
  };

  it('with AOF, delayed publishes and backoffs survive a kill and are delivered when due, not before', async () => {
    const { d, s, q } = await setUp(true);
    await d.publish(q, [m(1)]);
    const first = d.consume(q, { consumerId: 'first', maxUnsettled: 1 });
    const held = record(first);
    first.request(1);
    await eventually(() => held.items.length === 1, 5000, 'delivery');
    const sent = Date.now();
    await first.requeue(held.stop()[0]!, { attempts: 1 }, 2500);
    await first.cancel();
    await d.publish(q, [m(2), m(3)], { delayMs: 2500 });
    await s.kill();
    await s.restart();
    await eventually(async () => (await d.info(q).catch(() => undefined))?.delayed === 3, 10_000, 'three delayed after the restart');
    const c = d.consume(q, { consumerId: 'after', maxUnsettled: 5 });
    const got: { id: string; at: number; attempts: unknown }[] = [];
    c.deliveries.subscribe((batch) => batch.forEach((x) => got.push({ id: x.id, at: Date.now(), attempts: x.headers['attempts'] })));
    c.request(5);
    await eventually(() => got.length === 3, 10_000, 'all three delivered');
    expect(got.map((g) => g.id)).toEqual(['m1', 'm2', 'm3']);
    expect(got[0]!.attempts).toBe(1);
    for (const g of got) expect(g.at - sent).toBeGreaterThanOrEqual(2500);
    await c.cancel();
  });

  it('without persistence, a restart loses the delayed set like the ready list; the queue itself comes back', async () => {
    const { d, s, q } = await setUp(false);
    await d.publish(q, [m(1)], { delayMs: 60_000 });
    expect((await d.info(q)).delayed).toBe(1);
    await s.kill();
    await s.restart();
    await eventually(async () => (await d.info(q).catch(() => undefined)) !== undefined, 10_000, 'queue back');
    expect(await d.info(q)).toMatchObject({ delayed: 0, ready: 0 });
  });
});
