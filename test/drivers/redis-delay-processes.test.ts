import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import { eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { REDIS_URL, deletePrefix, makeDriver, uniquePrefix } from './redis/redis-test-env.ts';
import { spawnConsumer, type ConsumerChild } from './redis/spawn-consumer.ts';

/*
 * Delayed messages with consumers in other processes: the delayed set is
 * server-side, so a consumer killed while messages wait loses none of
 * them, and consumers sharing a queue each get a due message once.
 */

const prefix = uniquePrefix('delay-proc');
const msg = (id: string) => ({ id, body: { id }, headers: {} });

describe('redis driver: delays across processes', { timeout: 40_000 }, () => {
  let driver: RedisDriver;
  const children: ConsumerChild[] = [];
  const queue = async (): Promise<string> => {
    const name = uniqueQueueName('dlyp');
    await driver.declare({ id: `test:${name}`, name, options: { visibility_timeout: 1000 } });
    return name;
  };

  beforeAll(async () => {
    driver = makeDriver(prefix);
    await driver.start();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.process.kill('SIGKILL');
      await c.exited;
    }
  });
  afterAll(async () => {
    await driver.stop();
    await deletePrefix(prefix);
  });

  it('a consumer SIGKILLed while messages wait in delay loses none of them', async () => {
    const q = await queue();
    const delayed = ['d1', 'd2', 'd3'];
    const retried = ['m1', 'm2', 'm3', 'm4', 'm5'];
    // The child backs off every first attempt by 3 s, so its messages wait in delay.
    const child = spawnConsumer({ url: REDIS_URL, prefix, queue: q, credit: 5, handlerMs: 1, requeueDelayMs: 3000 });
    children.push(child);
    await child.ready;
    const sent = Date.now();
    await driver.publish(q, delayed.map(msg), { delayMs: 4000 });
    await driver.publish(q, retried.map(msg));
    await eventually(() => child.requeued.length >= 5, 10_000, 'child requeued 5 with a delay');
    child.process.kill('SIGKILL');
    await child.exited;
    // Killed while all eight waited in delay: the five it backed off, the three published delayed.
    expect(child.got.sort()).toEqual(retried);
    expect(child.acked).toEqual([]);
    expect(await driver.info(q)).toMatchObject({ delayed: 8, ready: 0, in_flight: 0 });

    const c = driver.consume(q, { consumerId: 'survivor', maxUnsettled: 10 });
    const arrived: { id: string; attempts: unknown; at: number }[] = [];
    c.deliveries.subscribe((batch) => {
      for (const d of batch) arrived.push({ id: d.id, attempts: d.headers['attempts'], at: Date.now() });
    });
    c.request(10);
    await eventually(() => arrived.length === 8, 10_000, 'all 8 delivered');
    await sleep(200);
    expect(arrived.map((a) => a.id).sort()).toEqual([...delayed, ...retried].sort());
    for (const a of arrived) {
      if (a.id.startsWith('m')) {
        expect(a.attempts).toBe(1); // counted before the crash, kept across the delay
        expect(a.at - sent).toBeGreaterThanOrEqual(3000);
      } else {
        expect(a.attempts).toBeUndefined();
        expect(a.at - sent).toBeGreaterThanOrEqual(4000);
      }
    }
    await c.cancel();
  });

  it('two consumers in two processes share delayed messages; each is delivered once, none early', async () => {
    const q = await queue();
    const a = spawnConsumer({ url: REDIS_URL, prefix, queue: q, credit: 10, handlerMs: 2 });
    const b = spawnConsumer({ url: REDIS_URL, prefix, queue: q, credit: 10, handlerMs: 2 });
    children.push(a, b);
    await Promise.all([a.ready, b.ready]);
    const earliest = new Map<string, number>();
    const total = 300;
    for (let batch = 0; batch < 6; batch++) {
      const delayMs = 100 + batch * 200;
      const ids = Array.from({ length: total / 6 }, (_, i) => `b${batch}-${i}`);
      const sentAt = Date.now();
      await driver.publish(q, ids.map(msg), { delayMs });
      for (const id of ids) earliest.set(id, sentAt + delayMs);
    }
    await eventually(() => a.acked.length + b.acked.length >= total, 20_000, `${total} acks`);
    await sleep(300);
    const all = [...a.got, ...b.got];
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    expect(a.got.length).toBeGreaterThan(0);
    expect(b.got.length).toBeGreaterThan(0);
    for (const child of [a, b]) {
      child.got.forEach((id, i) => expect(child.gotAt[i]!).toBeGreaterThanOrEqual(earliest.get(id)!));
    }
    expect(await driver.info(q)).toMatchObject({ message_count: 0, delayed: 0 });
  });

  it('a delayed message survives its consumer driver stopping, and is delivered to the next one', async () => {
    const q = await queue();
    const other = makeDriver(prefix, {}, 'test:leaver');
    await other.start();
    const first = other.consume(q, { consumerId: 'leaver', maxUnsettled: 1 });
    const rec = record(first);
    first.request(1);
    await driver.publish(q, [msg('x')]);
    await eventually(() => rec.items.length === 1, 5000, 'delivery');
    await first.requeue(rec.items[0]!, { attempts: 1 }, 800);
    await other.stop();
    expect(await driver.info(q)).toMatchObject({ delayed: 1, in_flight: 0 });
    const c = driver.consume(q, { consumerId: 'next', maxUnsettled: 1 });
    const again = record(c);
    c.request(1);
    await eventually(() => again.items.length === 1, 5000, 'redelivered');
    expect(again.stop()[0]).toMatchObject({ id: 'x', headers: { attempts: 1 } });
    await c.cancel();
  });
});
