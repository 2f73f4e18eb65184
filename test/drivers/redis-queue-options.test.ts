import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import { collect, eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { deletePrefix, makeDriver, uniquePrefix } from './redis/redis-test-env.ts';

const prefix = uniquePrefix('options');
const m = (n: number) => ({ id: `m${n}`, body: n, headers: {} });

describe('redis driver: queue options', { timeout: 15_000 }, () => {
  let driver: RedisDriver;
  const queue = async (options: Record<string, unknown> = {}): Promise<string> => {
    const name = uniqueQueueName('opt');
    await driver.declare({ id: `test:${name}`, name, options });
    return name;
  };
  beforeAll(async () => {
    driver = makeDriver(prefix);
    await driver.start();
  });
  afterAll(async () => {
    await driver.stop();
    await deletePrefix(prefix);
  });

  it('max_length with on_full wait: a publish beyond it waits for room, then completes in order', async () => {
    const q = await queue({ max_length: 2 });
    await driver.publish(q, [m(1), m(2)]);
    let done = false;
    const pending = driver.publish(q, [m(3), m(4)]).then(() => (done = true));
    await sleep(150);
    expect(done).toBe(false);
    expect((await driver.info(q)).ready).toBe(2);
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 10 });
    const rec = record(c);
    c.request(10);
    await pending;
    await eventually(() => rec.items.length === 4, 5000, '4 deliveries');
    expect(rec.stop().map((d) => d.id)).toEqual(['m1', 'm2', 'm3', 'm4']);
    await c.cancel();
  });

  it('max_length with on_full fail: refuses what does not fit, keeps what did', async () => {
    const q = await queue({ max_length: 2, on_full: 'fail' });
    await expect(driver.publish(q, [m(1), m(2), m(3)])).rejects.toMatchObject({ code: 'PUBLISH_REJECTED' });
    expect((await driver.info(q)).ready).toBe(2);
  });

  it('a waiting publish can be aborted, keeping what was accepted', async () => {
    const q = await queue({ max_length: 1 });
    const ac = new AbortController();
    const p = driver.publish(q, [m(1), m(2), m(3)], { signal: ac.signal });
    await sleep(30);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await driver.info(q)).ready).toBe(1);
  });

  it('message_ttl drops messages not delivered in time', async () => {
    const q = await queue({ message_ttl: '200ms' });
    await driver.publish(q, [m(1)]);
    await sleep(300);
    await driver.publish(q, [m(2)]);
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 10 });
    const got = collect(c, 1);
    c.request(10);
    const [d] = await got;
    expect(d!.id).toBe('m2');
    await c.ack(d!);
    await c.cancel();
    expect(await driver.info(q)).toMatchObject({ message_count: 0, expired: 1 });
  });

  it('requeue keeps the original expiry (a retry does not extend the TTL)', async () => {
    const q = await queue({ message_ttl: '300ms' });
    await driver.publish(q, [m(1)]);
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 10 });
    const got = collect(c, 1);
    c.request(1);
    const [d] = await got;
    await sleep(350);
    await c.requeue(d!, { attempts: 1 });
    const rec = record(c);
    c.request(5);
    await sleep(200);
    expect(rec.stop()).toHaveLength(0);
    await c.cancel();
  });

  it('dead-lettering to an undeclared queue fails and the message stays in flight', async () => {
    const q = await queue();
    await driver.publish(q, [m(1)]);
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 10 });
    const got = collect(c, 1);
    c.request(1);
    const [d] = await got;
    await expect(c.deadLetter(d!, uniqueQueueName('nowhere'), { attempts: 3 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await driver.info(q)).in_flight).toBe(1);
    await c.ack(d!);
    await c.cancel();
  });

  it('a queue declared by another driver (metadata in Redis) is usable without declare', async () => {
    const q = await queue();
    const other = makeDriver(prefix, {}, 'test:other');
    await other.start();
    try {
      await other.publish(q, [m(1)]);
      const c = other.consume(q, { consumerId: 'c', maxUnsettled: 1 });
      const got = collect(c, 1);
      c.request(1);
      const [d] = await got;
      await c.ack(d!);
      await c.cancel();
      expect((await other.info(q)).message_count).toBe(0);
    } finally {
      await other.stop();
    }
  });

  it('a publish before start is refused as not started', async () => {
    const d = makeDriver(prefix, {}, 'test:unstarted');
    await expect(d.publish('x', [m(1)])).rejects.toMatchObject({ code: 'DRIVER_UNAVAILABLE' });
  });
});
