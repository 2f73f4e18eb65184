import { describe, expect, it } from 'vitest';
import type { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import { eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { suiteDriver } from './redis/redis-test-env.ts';

const msg = (n: number) => ({ id: `m${n}`, body: { n }, headers: {} });

type FetchFn = (...args: unknown[]) => Promise<unknown>;

/**
 * Replaces the connection's fetch script call with `wrap(real, call)`
 * (`call` counts from 1) until the returned function puts it back.
 */
function interceptFetch(driver: RedisDriver, wrap: (real: () => Promise<unknown>, call: number) => Promise<unknown>): () => void {
  const cmd = driver.connection.cmd as unknown as { aqFetch: FetchFn };
  const real = cmd.aqFetch;
  let calls = 0;
  cmd.aqFetch = function (this: unknown, ...args: unknown[]) {
    return wrap(() => real.apply(this, args), ++calls);
  };
  return () => {
    cmd.aqFetch = real;
  };
}

/*
 * Credit that comes back while a fetch is out goes out at once as a second
 * fetch, so Redis works on the next batch while this process handles the
 * current one. Two at most; the replies keep the queue's order; and after a
 * fetch whose reply was lost, the processing hash is checked for strays
 * only once no other fetch is out.
 */
describe('redis driver: fetches in flight', { timeout: 20_000 }, () => {
  const driverOf = suiteDriver('pipeline');

  it('credit returned while a fetch is out sends a second one at once, never a third; order and count hold', async () => {
    const driver = driverOf();
    const q = uniqueQueueName('pipe');
    await driver.declare({ id: `test:${q}`, name: q, options: {} });
    const total = 300;
    await driver.publish(q, Array.from({ length: total }, (_, i) => msg(i + 1)));
    let out = 0;
    let maxOut = 0;
    const restore = interceptFetch(driver, async (real) => {
      maxOut = Math.max(maxOut, ++out);
      try {
        const reply = await real();
        // Slow replies, so that every request below finds the earlier fetches still out.
        await sleep(20);
        return reply;
      } finally {
        out--;
      }
    });
    const c = driver.consume(q, { consumerId: 'pipe', maxUnsettled: 90 });
    const rec = record(c);
    try {
      await eventually(() => driver.connection.connected, 5000, 'connected');
      // The consumption starts fetching once registered: wait for that, then hand credit in thirds.
      await sleep(200);
      for (let sent = 0; sent < total; ) {
        c.request(30);
        c.request(30);
        c.request(30);
        const want = Math.min(total, sent + 90);
        await eventually(() => rec.items.length >= want, 5000, `${want} delivered`);
        await Promise.all(rec.items.slice(sent, want).map((d) => c.ack(d)));
        sent = want;
      }
      expect(maxOut).toBe(2);
      expect(rec.items.map((d) => (d.body as { n: number }).n)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      await sleep(100);
      expect(rec.items).toHaveLength(total);
      expect(await driver.info(q)).toMatchObject({ message_count: 0 });
    } finally {
      restore();
      await c.cancel();
    }
  });

  it('a lost reply with a second fetch out: nothing delivered twice, nothing lost', async () => {
    const driver = driverOf();
    const q = uniqueQueueName('pipe-lost');
    await driver.declare({ id: `test:${q}`, name: q, options: {} });
    await driver.publish(q, [1, 2, 3, 4, 5, 6].map(msg));
    const c = driver.consume(q, { consumerId: 'pipe-lost', maxUnsettled: 6 });
    const rec = record(c);
    c.request(2);
    await eventually(() => rec.items.length === 2, 5000, '2 delivered');

    // The next fetch runs in Redis but its reply is lost (m3, m4 are in the
    // processing hash, unknown here); the one after it runs too, and its
    // reply (m5, m6) is slow. Released as strays before that reply is read,
    // m5 and m6 would come again.
    const restore = interceptFetch(driver, async (real, call) => {
      const reply = await real();
      if (call === 1) throw new Error('injected: connection lost before the reply');
      if (call === 2) await sleep(300);
      return reply;
    });
    try {
      c.request(2);
      c.request(2);
      await eventually(() => rec.items.length >= 6, 8000, 'all 6 delivered');
      await sleep(500);
      const ids = rec.items.map((d) => d.id);
      expect(ids).toHaveLength(6);
      expect(new Set(ids)).toEqual(new Set(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']));
      for (const d of rec.items) await c.ack(d);
      expect(await driver.info(q)).toMatchObject({ message_count: 0, in_flight: 0 });
    } finally {
      restore();
      await c.cancel();
    }
  });
});
