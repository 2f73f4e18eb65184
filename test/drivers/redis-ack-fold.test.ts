import { describe, expect, it } from 'vitest';
import { eventually, record, uniqueQueueName } from './conformance-helpers.ts';
import { suiteDriver } from './redis/redis-test-env.ts';

const msg = (n: number) => ({ id: `m${n}`, body: { n }, headers: {} });

/*
 * Acks made in the same turn as returned credit travel inside the next
 * fetch. When that fetch gets no reply, nobody knows whether they were
 * applied: they must be sent again, or the acked messages would stay in
 * the processing hash and come back when the consumer leaves.
 */
describe('redis driver: acks that ride on a fetch', { timeout: 20_000 }, () => {
  const driverOf = suiteDriver('ackfold');

  it('remove exactly the acked messages when those are scattered among the held ones', async () => {
    const driver = driverOf();
    const q = uniqueQueueName('fold-gaps');
    await driver.declare({ id: `test:${q}`, name: q, options: {} });
    await driver.publish(q, [1, 2, 3, 4, 5, 6].map(msg));
    const c = driver.consume(q, { consumerId: 'fold-gaps', maxUnsettled: 6 });
    const rec = record(c);
    c.request(5);
    await eventually(() => rec.items.length === 5, 5000, '5 delivered');
    try {
      // m1, m3 and m5 acked in one turn with credit returned: they ride on the next fetch.
      const acks = [0, 2, 4].map((i) => c.ack(rec.items[i]!));
      c.request(1);
      await Promise.all(acks);
      await eventually(() => rec.items.length === 6, 5000, 'm6 delivered');
      expect(await driver.info(q)).toMatchObject({ message_count: 3, in_flight: 3 });
      for (const i of [1, 3, 5]) await c.ack(rec.items[i]!);
      expect(await driver.info(q)).toMatchObject({ message_count: 0 });
    } finally {
      await c.cancel();
    }
  });

  it('are sent again when that fetch fails without a reply, and the consumer carries on', async () => {
    const driver = driverOf();
    const q = uniqueQueueName('fold');
    await driver.declare({ id: `test:${q}`, name: q, options: {} });
    await driver.publish(q, [1, 2, 3, 4].map(msg));
    const c = driver.consume(q, { consumerId: 'fold', maxUnsettled: 4 });
    const rec = record(c);
    c.request(2);
    await eventually(() => rec.items.length === 2, 5000, '2 delivered');

    // The next fetch that carries acks is lost on its way (as with a dropped connection).
    const cmd = driver.connection.cmd as unknown as { aqFetch: (...args: unknown[]) => Promise<unknown> };
    const real = cmd.aqFetch;
    let lost = 0;
    cmd.aqFetch = function (this: unknown, ...args: unknown[]) {
      if (args.length > 7 && lost === 0) {
        lost++;
        return Promise.reject(new Error('injected: connection lost before the reply'));
      }
      return real.apply(this, args);
    };
    try {
      const acks = rec.items.map((d) => c.ack(d));
      c.request(2);
      const settled = await Promise.race([Promise.all(acks).then(() => 'settled'), new Promise((r) => setTimeout(() => r('still pending after 3s'), 3000))]);
      expect(settled).toBe('settled');
      expect(lost).toBe(1);
      // The two acked are gone for good (the other two may be fetched again by now).
      expect((await driver.info(q)).message_count).toBe(2);
      await eventually(() => rec.items.length === 4, 8000, 'the other 2 delivered after the lost fetch');
      expect(rec.items.map((d) => d.id)).toEqual(['m1', 'm2', 'm3', 'm4']);
      for (const d of rec.items.slice(2)) await c.ack(d);
      expect(await driver.info(q)).toMatchObject({ message_count: 0 });
    } finally {
      cmd.aqFetch = real;
      await c.cancel();
    }
  });

  it('an acked message is not delivered again when the check after a lost fetch runs before its ack lands', async () => {
    const driver = driverOf();
    const q = uniqueQueueName('fold-slow');
    await driver.declare({ id: `test:${q}`, name: q, options: {} });
    await driver.publish(q, [1, 2, 3, 4].map(msg));
    const c = driver.consume(q, { consumerId: 'fold-slow', maxUnsettled: 4 });
    const rec = record(c);
    c.request(2);
    await eventually(() => rec.items.length === 2, 5000, '2 delivered');

    // The fetch carrying the acks is lost, and the acks sent again are slow to land
    // (as after a reconnect), so the processing hash is checked for strays first.
    const cmd = driver.connection.cmd as unknown as Record<'aqFetch' | 'hdel', (...args: unknown[]) => Promise<unknown>>;
    const real = { aqFetch: cmd.aqFetch, hdel: cmd.hdel };
    let lost = 0;
    cmd.aqFetch = function (this: unknown, ...args: unknown[]) {
      if (args.length > 7 && lost++ === 0) return Promise.reject(new Error('injected: connection lost before the reply'));
      return real.aqFetch.apply(this, args);
    };
    cmd.hdel = function (this: unknown, ...args: unknown[]) {
      return new Promise((r) => setTimeout(r, 500)).then(() => real.hdel.apply(this, args));
    };
    try {
      const acks = rec.items.map((d) => c.ack(d));
      c.request(2);
      await eventually(() => rec.items.length >= 4, 8000, 'more delivered after the lost fetch');
      await Promise.all(acks);
      await new Promise((r) => setTimeout(r, 300));
      expect(rec.items.map((d) => d.id)).toEqual(['m1', 'm2', 'm3', 'm4']);
      for (const d of rec.items.slice(2)) await c.ack(d);
      expect(await driver.info(q)).toMatchObject({ message_count: 0 });
    } finally {
      Object.assign(cmd, real);
      await c.cancel();
    }
  });
});
