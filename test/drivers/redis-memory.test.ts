import { afterAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { queueKeys } from '../../src/drivers/redis/redis-keys.ts';
import { eventually, uniqueQueueName } from './conformance-helpers.ts';
import { adminClient, deletePrefix, makeDriver, scanKeys, uniquePrefix } from './redis/redis-test-env.ts';

const prefix = uniquePrefix('memory');

/** Keys of a queue with the bytes each uses (MEMORY USAGE). */
async function footprint(admin: Redis, pattern: string): Promise<{ keys: string[]; bytes: number }> {
  const keys = (await scanKeys(admin, pattern)).sort();
  let bytes = 0;
  for (const k of keys) bytes += Number(await admin.memory('USAGE', k));
  return { keys, bytes };
}

describe('redis driver: acked messages leave nothing behind', { timeout: 60_000 }, () => {
  afterAll(() => deletePrefix(prefix));

  it('memory returns to its baseline after 100k messages are drained', async () => {
    const driver = makeDriver(prefix);
    const admin = adminClient();
    await driver.start();
    const q = uniqueQueueName('mem');
    const keys = queueKeys(prefix, q);
    try {
      await driver.declare({ id: 'test:q', name: q, options: {} });
      const before = await footprint(admin, keys.pattern);
      expect(before.keys).toEqual([keys.meta]);

      const total = 100_000;
      const body = { task: 'resize', size: 42 };
      for (let i = 0; i < total; i += 10_000) {
        await driver.publish(q, Array.from({ length: 10_000 }, (_, j) => ({ id: `m${i + j}`, body, headers: { timestamp: 1 } })));
      }
      const loaded = await footprint(admin, keys.pattern);
      expect(loaded.bytes).toBeGreaterThan(before.bytes + 1_000_000);

      const c = driver.consume(q, { consumerId: 'drain', maxUnsettled: 1000 });
      let acked = 0;
      c.deliveries.subscribe((batch) => {
        for (const d of batch) void c.ack(d);
        acked += batch.length;
        c.request(batch.length);
      });
      c.request(1000);
      await eventually(() => acked === total, 45_000, `${total} acks`);
      await eventually(async () => (await driver.info(q)).message_count === 0, 5000, 'info empty');
      await c.cancel();

      const after = await footprint(admin, keys.pattern);
      // Only the declaration remains; it grew by its token counter.
      expect(after.keys).toEqual([keys.meta]);
      expect(after.bytes).toBeLessThanOrEqual(before.bytes + 64);
    } finally {
      await driver.stop();
      await admin.quit();
    }
  });
});
