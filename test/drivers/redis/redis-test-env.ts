import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { RedisDriver } from '../../../src/drivers/redis/redis-driver.ts';
import { redisDriverOptionsSchema } from '../../../src/drivers/redis/redis-kind.ts';
import { queueKeys } from '../../../src/drivers/redis/redis-keys.ts';

/** The Redis every test talks to. */
export const REDIS_URL = process.env.ACTORQ_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test file or run shares. */
export function uniquePrefix(label: string): string {
  return `actorq-test:${label}:${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
}

/** A not yet started driver under `prefix`, with optional extra driver fields. */
export function makeDriver(prefix: string, extra: Record<string, unknown> = {}, id = 'test:redis'): RedisDriver {
  return new RedisDriver(id, redisDriverOptionsSchema.parse({ url: REDIS_URL, key_prefix: prefix, reconnect_delay: 50, reconnect_max_delay: 500, ...extra }));
}

/**
 * A driver for the calling `describe` block, under a prefix of its own:
 * started before the block's tests, stopped and its keys deleted after.
 * Read it through the returned function once the tests run.
 */
export function suiteDriver(label: string): () => RedisDriver {
  const prefix = uniquePrefix(label);
  let driver: RedisDriver | undefined;
  beforeAll(async () => {
    driver = makeDriver(prefix);
    await driver.start();
  });
  afterAll(async () => {
    await driver?.stop();
    await deletePrefix(prefix);
  });
  return () => driver!;
}

/** A plain client for assertions and cleanup. Call `quit()` when done. */
export function adminClient(): Redis {
  return new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Every key under `pattern` (SCAN, never KEYS). */
export async function scanKeys(client: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

/** Deletes every key under `prefix` (the whole test file's data). */
export async function deletePrefix(prefix: string): Promise<void> {
  const client = adminClient();
  try {
    const keys = await scanKeys(client, `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`);
    for (let i = 0; i < keys.length; i += 500) await client.del(...keys.slice(i, i + 500));
  } finally {
    await client.quit();
  }
}

/** Deletes one queue's keys. */
export async function deleteQueue(prefix: string, name: string): Promise<void> {
  const client = adminClient();
  try {
    const keys = await scanKeys(client, queueKeys(prefix, name).pattern);
    if (keys.length) await client.del(...keys);
  } finally {
    await client.quit();
  }
}
