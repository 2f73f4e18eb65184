/**
 * Redis section of the benchmark: the actorq Redis driver against BullMQ on
 * the same server, in the same run, plus a raw pipeline loop over the same
 * data structures (the ceiling for this design), run twice for a noise
 * line, and that loop with a JSON decode per entry (the same work).
 *
 *   npx tsx test/bench/redis-bench.ts [rounds]
 *
 * 50k small messages; the consumer side is driven like actorq's consumer
 * with concurrency 10 and prefetch 100: credit 110, ten workers taking from
 * a buffer, each delivery acked, credit returned in batches.
 */
import { Redis } from 'ioredis';
import { Queue, Worker } from 'bullmq';
import { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import { redisDriverOptionsSchema } from '../../src/drivers/redis/redis-kind.ts';
import { queueKeys } from '../../src/drivers/redis/redis-keys.ts';
import { compare, formatRate, pairedRatio, pairedSpread, rate } from './bench-utils.ts';
import { drainWithPool } from './drain-with-pool.ts';

const URL = process.env.ACTORQ_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const COUNT = 50_000;
const CONCURRENCY = 10;
const PREFETCH = 100;
const prefix = `actorq-bench:${process.pid}:`;

const messages = Array.from({ length: COUNT }, (_, i) => ({ id: `m${i}`, body: { n: i, task: 'x' }, headers: { timestamp: 1700000000 } }));

async function actorq(driver: RedisDriver, round: number): Promise<{ publish: number; process: number }> {
  const q = `actorq-${round}`;
  await driver.declare({ id: `bench:${q}`, name: q, options: {} });
  const publish = await rate(COUNT, () => driver.publish(q, messages));
  const processed = await rate(COUNT, () => drainWithPool(driver, q, COUNT, CONCURRENCY, PREFETCH));
  return { publish, process: processed };
}

async function bullmq(client: Redis, round: number): Promise<{ publish: number; process: number }> {
  const connection = { host: client.options.host!, port: client.options.port!, maxRetriesPerRequest: null };
  const name = `bull-${round}`;
  const queue = new Queue(name, { connection, prefix: `${prefix}bull` });
  const jobs = messages.map((m) => ({ name: 't', data: m.body, opts: { removeOnComplete: true, removeOnFail: true } }));
  const publish = await rate(COUNT, async () => {
    for (let i = 0; i < jobs.length; i += 5000) await queue.addBulk(jobs.slice(i, i + 5000));
  });
  let worker!: Worker;
  const processed = await rate(COUNT, () => new Promise<void>((resolve) => {
    let done = 0;
    worker = new Worker(name, async () => undefined, { connection, prefix: `${prefix}bull`, concurrency: CONCURRENCY });
    worker.on('completed', () => {
      if (++done === COUNT) resolve();
    });
  }));
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { publish, process: processed };
}

/** The same moves as the driver without Lua, JSON or the consumer: RPUSH; LPOP n, HSET, HDEL. */
async function raw(client: Redis, name: string): Promise<{ publish: number; process: number }> {
  const k = queueKeys(prefix, name);
  const proc = `${k.procPrefix}raw`;
  const payloads = messages.map((m) => JSON.stringify([m.id, m.headers, m.body]));
  const publish = await rate(COUNT, async () => {
    for (let i = 0; i < payloads.length; i += 2000) await client.rpush(k.ready, ...payloads.slice(i, i + 2000));
  });
  let token = 0;
  const processed = await rate(COUNT, async () => {
    for (;;) {
      const items = await client.lpop(k.ready, PREFETCH + CONCURRENCY);
      if (!items || items.length === 0) break;
      const fields: (string | number)[] = [];
      const tokens: string[] = [];
      for (const v of items) {
        fields.push(++token, v);
        tokens.push(String(token));
      }
      await client.pipeline().hset(proc, ...fields).hdel(proc, ...tokens).exec();
    }
  });
  return { publish, process: processed };
}

/**
 * The raw loop plus one `JSON.parse` per entry: the same work as the driver
 * where the raw loop stops short of it (a consumer is handed messages, not
 * their bytes), as the AMQP and NATS raw baselines decode too. Reported
 * beside the raw ceiling, which stays as it is. Processing only.
 */
async function rawDecoded(client: Redis, name: string): Promise<number> {
  const k = queueKeys(prefix, name);
  const proc = `${k.procPrefix}raw`;
  const payloads = messages.map((m) => JSON.stringify([m.id, m.headers, m.body]));
  for (let i = 0; i < payloads.length; i += 2000) await client.rpush(k.ready, ...payloads.slice(i, i + 2000));
  let token = 0;
  return rate(COUNT, async () => {
    for (;;) {
      const items = await client.lpop(k.ready, PREFETCH + CONCURRENCY);
      if (!items || items.length === 0) break;
      const fields: (string | number)[] = [];
      const tokens: string[] = [];
      for (const v of items) {
        // Used, so the parse cannot be left out.
        if ((JSON.parse(v) as unknown[]).length !== 3) throw new Error(`not a stored message: ${v}`);
        fields.push(++token, v);
        tokens.push(String(token));
      }
      await client.pipeline().hset(proc, ...fields).hdel(proc, ...tokens).exec();
    }
  });
}

/** Runs the comparison and returns printable lines. */
export async function runRedisBench(rounds = 3): Promise<string[]> {
  const client = new Redis(URL);
  const driver = new RedisDriver('bench:redis', redisDriverOptionsSchema.parse({ url: URL, key_prefix: prefix }));
  await driver.start();
  const results: Record<string, { publish: number; process: number }[]> = { actorq: [], bullmq: [], raw: [], rawAgain: [], rawDecoded: [] };
  // Each contender numbers its own rounds: the order flips every round, so a shared counter would repeat names.
  const ran = (k: string) => results[k]!.length;
  const contenders = {
    actorq: async () => (results.actorq!.push(await actorq(driver, ran('actorq'))), 0),
    bullmq: async () => (results.bullmq!.push(await bullmq(client, ran('bullmq'))), 0),
    raw: async () => (results.raw!.push(await raw(client, `raw-${ran('raw')}`)), 0),
    // The same loop again: how far two runs of the same code differ here.
    rawAgain: async () => (results.rawAgain!.push(await raw(client, `raw-again-${ran('rawAgain')}`)), 0),
    rawDecoded: async () => (results.rawDecoded!.push({ publish: 0, process: await rawDecoded(client, `raw-decoded-${ran('rawDecoded')}`) }), 0),
  };
  try {
    // One untimed round first: every contender's first round ran cold (the
    // driver's at about half its later rate), which weighed on the paired
    // ratio of that round. Its results are kept out of the figures below.
    await compare(1, contenders);
    for (const k of Object.keys(results)) results[k]!.length = 0;
    await compare(rounds, contenders);
  } finally {
    await driver.stop();
    await deleteKeys(client, `${prefix}*`);
    await client.quit();
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const m = Object.fromEntries(
    Object.entries(results).map(([k, v]) => [k, { publish: med(v.map((r) => r.publish)), process: med(v.map((r) => r.process)) }]),
  ) as Record<'actorq' | 'bullmq' | 'raw' | 'rawAgain' | 'rawDecoded', { publish: number; process: number }>;
  const paired = (a: string, b: string) => {
    const pa = results[a]!.map((r) => r.process);
    const pb = results[b]!.map((r) => r.process);
    return `${pairedRatio(pa, pb).toFixed(2)}x (middle half ${pairedSpread(pa, pb)})`;
  };
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  return [
    `redis: ${COUNT} messages, concurrency ${CONCURRENCY}, prefetch ${PREFETCH}, median of ${rounds} rounds`,
    `  publish     actorq ${formatRate(m.actorq.publish).padStart(14)}   bullmq ${formatRate(m.bullmq.publish).padStart(14)}   raw ${formatRate(m.raw.publish).padStart(14)}   actorq/bullmq ${x(m.actorq.publish, m.bullmq.publish)}   actorq/raw ${x(m.actorq.publish, m.raw.publish)}`,
    `  processing  actorq ${formatRate(m.actorq.process).padStart(14)}   bullmq ${formatRate(m.bullmq.process).padStart(14)}   raw ${formatRate(m.raw.process).padStart(14)}   actorq/bullmq ${x(m.actorq.process, m.bullmq.process)}   actorq/raw ${x(m.actorq.process, m.raw.process)}`,
    `  processing, median of per-round ratios: actorq/raw ${paired('actorq', 'raw')}   actorq/bullmq ${paired('actorq', 'bullmq')}   noise: raw again/raw ${paired('rawAgain', 'raw')} (same code)`,
    `  processing, raw + JSON decode of each entry ${formatRate(m.rawDecoded.process)}: actorq/(raw + decode) ${paired('actorq', 'rawDecoded')} (median of per-round ratios)`,
  ];
}

async function deleteKeys(client: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await client.del(...keys);
  } while (cursor !== '0');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.argv[2] ?? 3);
  for (const line of await runRedisBench(rounds)) console.log(line);
}
