import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import type { Delivery } from '../../src/drivers/driver.ts';
import { eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { REDIS_URL, deletePrefix, makeDriver, uniquePrefix } from './redis/redis-test-env.ts';
import { spawnConsumer, type ConsumerChild } from './redis/spawn-consumer.ts';

const prefix = uniquePrefix('recovery');
const msg = (n: number) => ({ id: `m${n}`, body: { n }, headers: {} });
const VT = 1000;

describe('redis driver: crash recovery and claims', { timeout: 30_000 }, () => {
  let driver: RedisDriver;
  const children: ConsumerChild[] = [];
  const queue = async (): Promise<string> => {
    const name = uniqueQueueName('rec');
    await driver.declare({ id: `test:${name}`, name, options: { visibility_timeout: VT } });
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

  it('redelivers the messages of a consumer killed mid-handler, after visibility_timeout and not before', async () => {
    const q = await queue();
    await driver.publish(q, [1, 2, 3, 4, 5].map(msg));
    const child = spawnConsumer({ url: REDIS_URL, prefix, queue: q, credit: 5, handlerMs: 60_000 });
    children.push(child);
    await child.ready;
    await eventually(() => child.got.length === 5, 10_000, 'child holds 5');
    child.process.kill('SIGKILL');
    await child.exited;
    const killedAt = Date.now();

    const c = driver.consume(q, { consumerId: 'survivor', maxUnsettled: 10 });
    const rec = record(c);
    c.request(10);
    // The dead consumer's last heartbeat is at most VT/3 old, so nothing may
    // come back before 2/3 of VT after the kill.
    await sleep(VT / 2);
    expect(rec.items).toHaveLength(0);
    expect((await driver.info(q)).in_flight).toBe(5);
    await eventually(() => rec.items.length === 5, 4 * VT, 'redelivery');
    const redeliveredAfter = Date.now() - killedAt;
    expect(redeliveredAfter).toBeGreaterThanOrEqual((2 * VT) / 3);
    // Back at the head, in their original order.
    expect(rec.items.map((d) => d.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    for (const d of rec.stop()) await c.ack(d);
    await c.cancel();
    await eventually(async () => (await driver.info(q)).message_count === 0, 2000, 'drained');
  });

  it('does not redeliver while a slow handler keeps heart-beating past visibility_timeout', async () => {
    const q = await queue();
    await driver.publish(q, [1, 2, 3].map(msg));
    const slow = makeDriver(prefix, {}, 'test:slow');
    await slow.start();
    try {
      const a = slow.consume(q, { consumerId: 'slow', maxUnsettled: 3 });
      const held = record(a);
      a.request(3);
      await eventually(() => held.items.length === 3, 5000, 'slow consumer holds 3');
      const b = driver.consume(q, { consumerId: 'eager', maxUnsettled: 10 });
      const other = record(b);
      b.request(10);
      await sleep(VT * 3.5); // a handler running for 3.5 visibility timeouts
      expect(other.items).toHaveLength(0);
      for (const d of held.stop()) await a.ack(d);
      await a.cancel();
      await sleep(VT * 1.5);
      expect(other.stop()).toHaveLength(0);
      expect((await driver.info(q)).message_count).toBe(0);
      await b.cancel();
    } finally {
      await slow.stop();
    }
  });

  it('two consumers in two processes share a queue; no message is processed twice', async () => {
    const q = await queue();
    const total = 2000;
    const a = spawnConsumer({ url: REDIS_URL, prefix, queue: q, credit: 20, handlerMs: 1 });
    const b = spawnConsumer({ url: REDIS_URL, prefix, queue: q, credit: 20, handlerMs: 1 });
    children.push(a, b);
    await Promise.all([a.ready, b.ready]);
    for (let i = 0; i < total; i += 200) await driver.publish(q, Array.from({ length: 200 }, (_, j) => msg(i + j)));
    await eventually(() => a.acked.length + b.acked.length >= total, 20_000, `${total} acks`);
    await sleep(200);
    const all = [...a.got, ...b.got];
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    expect(a.acked.length).toBeGreaterThan(0);
    expect(b.acked.length).toBeGreaterThan(0);
    await eventually(async () => (await driver.info(q)).message_count === 0, 2000, 'drained');
  });

  it('release after cancel and a stopping driver hand everything back, at the head', async () => {
    const q = await queue();
    await driver.publish(q, [1, 2, 3, 4].map(msg));
    const other = makeDriver(prefix, {}, 'test:stopper');
    await other.start();
    const c = other.consume(q, { consumerId: 'stopper', maxUnsettled: 2 });
    const rec = record(c);
    c.request(2);
    await eventually(() => rec.items.length === 2, 5000, '2 held');
    await other.stop(); // never acked: returned by stop, no reaper needed
    const info = await driver.info(q);
    expect(info).toMatchObject({ ready: 4, in_flight: 0 });
    const d = driver.consume(q, { consumerId: 'after', maxUnsettled: 4 });
    const again = record(d);
    d.request(4);
    await eventually(() => again.items.length === 4, 5000, '4 redelivered');
    expect(again.items.map((x: Delivery) => x.id)).toEqual(['m1', 'm2', 'm3', 'm4']);
    for (const x of again.stop()) await d.ack(x);
    await d.cancel();
  });
});
