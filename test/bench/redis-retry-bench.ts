/**
 * Redis retry section: processing throughput of one queue whose consumer
 * has a retry policy and a dead-letter queue configured but never used
 * (every handler succeeds), against the same queue without them, through
 * the real WorkerPool and Redis driver, in the same run. A third contender
 * runs the plain setup again: its ratio to the first is the noise line.
 *
 *   npx tsx test/bench/main.ts redis-retry      (ROUNDS=n, default 9)
 */
import { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import { redisDriverOptionsSchema } from '../../src/drivers/redis/redis-kind.ts';
import { compare, formatRate, pairedRatio, pairedSpread, rate } from './bench-utils.ts';
import { drainWithPool } from './drain-with-pool.ts';

const URL = process.env.ACTORQ_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const COUNT = 30_000;
const CONCURRENCY = 10;
const PREFETCH = 100;

/** Runs the comparison and returns printable lines. */
export async function runRedisRetryBench(rounds = 9): Promise<string[]> {
  const prefix = `actorq-bench-retry:${process.pid}:`;
  const driver = new RedisDriver('bench:redis', redisDriverOptionsSchema.parse({ url: URL, key_prefix: prefix }));
  await driver.start();
  const messages = Array.from({ length: COUNT }, (_, i) => ({ id: `m${i}`, body: { n: i, task: 'x' }, headers: { timestamp: 1700000000 } }));
  const retry = { initial_delay: 1000, max_delay: 90_000, backoff_factor: 2, jitter: 0.1 };
  let round = 0;
  const once = async (configured: boolean): Promise<number> => {
    const q = `q-${round++}`;
    await driver.declare({ id: `bench:${q}`, name: q, options: {} });
    await driver.declare({ id: `bench:${q}-dead`, name: `${q}-dead`, options: {} });
    await driver.publish(q, messages);
    const deadLetter = { queueId: `bench:${q}-dead`, queueName: `${q}-dead`, driver, maxAttempts: 5 };
    return rate(COUNT, () => drainWithPool(driver, q, COUNT, CONCURRENCY, PREFETCH, configured ? { retry, deadLetter } : {}));
  };
  const contenders = { plain: () => once(false), retry: () => once(true), 'plain again': () => once(false) };
  try {
    // One untimed round first, as in the Redis section: first rounds run cold.
    await compare(1, contenders);
    const r = await compare(rounds, contenders);
    return [
      `redis retry: ${COUNT.toLocaleString('en-US')} messages, concurrency ${CONCURRENCY}, prefetch ${PREFETCH}, ${rounds} rounds, processing (all handlers succeed)`,
      `  plain          ${formatRate(r['plain']!.median)}`,
      `  retry          ${formatRate(r['retry']!.median)}   (retry policy + dead_letter configured, unused)`,
      `  plain again    ${formatRate(r['plain again']!.median)}`,
      `  plain again/plain (same code, the harness's noise): ${pairedRatio(r['plain again']!.runs, r['plain']!.runs).toFixed(3)}x (middle half of rounds ${pairedSpread(r['plain again']!.runs, r['plain']!.runs)})`,
      `  retry/plain, median of per-round ratios: ${pairedRatio(r['retry']!.runs, r['plain']!.runs).toFixed(3)}x (middle half of rounds ${pairedSpread(r['retry']!.runs, r['plain']!.runs)}; target within 5%)`,
    ];
  } finally {
    await driver.stop();
    const { Redis } = await import('ioredis');
    const client = new Redis(URL);
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== '0');
    await client.quit();
  }
}
