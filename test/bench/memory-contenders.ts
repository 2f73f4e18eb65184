/**
 * The contenders of the memory benchmark, each a function that moves
 * `count` messages and returns messages per second. Run as a script
 * (`memory-contenders.ts <name> <count>`) it serves one contender in its
 * own process, one timed run per request: `memory-bench.ts` and
 * `memory-retry-bench.ts` drive it so, through `contender-process.ts`.
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import fastq from 'fastq';
import { createRuntime, type Runtime } from '../../src/index.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { rate } from './bench-utils.ts';
import { allocatedPerMessage } from './allocation-sampler.ts';

/** This script, for the processes that serve a contender (`contender-process.ts`). */
export const CONTENDERS_SCRIPT = fileURLToPath(import.meta.url);

/** Workers of every contender. */
export const CONCURRENCY = 10;
/** actorq's prefetch. */
export const PREFETCH = 100;
/** Publisher batch size, and the memory queue's max_length (its default is 1000). */
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const MAX_LENGTH = Number(process.env.BENCH_MAXLEN ?? 1000);

/** The trivial async handler every contender runs. */
const handler = async (body: unknown) => body;

/**
 * fastq, concurrency 10, the same handler, in its fastest form: callback
 * API, producer topping the queue up by `BATCH` whenever it empties (so,
 * like actorq's bounded queue, it never holds the whole backlog).
 */
function fastqRun(count: number): Promise<number> {
  const queue = fastq((arg: number, cb: (err: Error | null, r?: unknown) => void) => {
    handler(arg).then((r) => cb(null, r), cb);
  }, CONCURRENCY);
  return rate(count, () => {
    let sent = 0;
    return new Promise<void>((resolve) => {
      const fill = () => {
        const end = Math.min(count, sent + BATCH);
        while (sent < end) queue.push(sent++);
      };
      queue.empty = () => sent < count && fill();
      queue.drain = () => (sent >= count ? resolve() : fill());
      fill();
    });
  });
}

/**
 * fastq's promise API, the form its README gives for an async worker:
 * `fastq.promise(handler, 10)`, a push per message (each returns a
 * promise), topped up by `BATCH` like the callback form. A second
 * reference only; the target is judged against the callback form above.
 */
function fastqPromiseRun(count: number): Promise<number> {
  const queue = fastq.promise(handler, CONCURRENCY);
  return rate(count, async () => {
    for (let sent = 0; sent < count; ) {
      const end = Math.min(count, sent + BATCH);
      while (sent < end) void queue.push(sent++);
      await queue.drained();
    }
  });
}

/** Messages per `Promise.all` in the per-message contenders (the shape of a fastq.promise producer). */
const CHUNK = 100;

/**
 * fastq's promise API pushed one message at a time, in chunks of
 * {@link CHUNK} awaited with `Promise.all` (each push's promise settles
 * when its handler is done): the baseline of the per-message section.
 */
function fastqPromiseEachRun(count: number): Promise<number> {
  const queue = fastq.promise(handler, CONCURRENCY);
  const chunk: Promise<unknown>[] = new Array(CHUNK);
  return rate(count, async () => {
    for (let sent = 0; sent < count; ) {
      const n = Math.min(CHUNK, count - sent);
      chunk.length = n;
      for (let i = 0; i < n; i++) chunk[i] = queue.push(sent++);
      await Promise.all(chunk);
    }
  });
}

/** The benchmark's configuration; `queueExtra` adds fields to the queue entry, `consumerExtra` to the consumer, `entries` more entries. */
const yamlWith = (queueExtra = '', entries = '', consumerExtra = '') => `
namespace: bench
entries:
  - { name: driver, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: bench:driver, driver_options: { memory: { max_length: ${MAX_LENGTH} } }${queueExtra} }
  - { name: c, kind: queue.consumer, queue: bench:q, func: bench:handler, concurrency: ${CONCURRENCY}, prefetch: ${PREFETCH}${consumerExtra}, lifecycle: { auto_start: true } }
${entries}`;
const yaml = yamlWith();
/** The same with a retry policy and a dead-letter queue configured; every message succeeds, so neither is used. */
export const retryYaml = yamlWith(
  ', retry: { initial_delay: 1s, backoff_factor: 2, max_delay: 5m, jitter: 0.1 }, dead_letter: { queue: bench:dlq, max_attempts: 5 }',
  '  - { name: dlq, kind: queue.queue, driver: bench:driver }\n',
);

/** The same with a handler time limit on the consumer; every handler finishes far inside it. */
export const timeoutYaml = yamlWith('', '', ', timeout: 30s');

/**
 * actorq end to end: `publishBatch` (waiting for room: the queue is bounded)
 * -> memory driver -> prefetch buffer -> 10 workers -> handler -> ack,
 * timed until the consumer has acked every message.
 */
async function actorqRun(count: number, config = yaml): Promise<number> {
  const runtime = createRuntime({
    registry: parseConfigText(config, '<bench>', { extraFunctionIds: ['bench:handler'] }),
    functions: { 'bench:handler': handler },
    logger: silentLogger,
  });
  await runtime.start();
  const bodies = Array.from({ length: BATCH }, (_, i) => i + 1);
  const result = await rate(count, async () => {
    for (let sent = 0; sent < count; sent += BATCH) await runtime.publishBatch('bench:q', bodies);
    await untilAcked(runtime, count);
  });
  await runtime.stop();
  return result;
}

/**
 * actorq with one `runtime.publish()` per message, in chunks of
 * {@link CHUNK} awaited with `Promise.all` (each publish settles once the
 * queue has taken the message), timed until the consumer has acked every
 * message: the per-message section's actorq side.
 */
async function actorqEachRun(count: number): Promise<number> {
  const runtime = createRuntime({
    registry: parseConfigText(yaml, '<bench>', { extraFunctionIds: ['bench:handler'] }),
    functions: { 'bench:handler': handler },
    logger: silentLogger,
  });
  await runtime.start();
  const chunk: Promise<void>[] = new Array(CHUNK);
  const result = await rate(count, async () => {
    for (let sent = 0; sent < count; ) {
      const n = Math.min(CHUNK, count - sent);
      chunk.length = n;
      for (let i = 0; i < n; i++) chunk[i] = runtime.publish('bench:q', ++sent);
      await Promise.all(chunk);
    }
    await untilAcked(runtime, count);
  });
  await runtime.stop();
  return result;
}

/** Resolves once the bench consumer has acked `count` messages (polled each macrotask). */
function untilAcked(runtime: Runtime, count: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const poll = () => (runtime.consumerStats('bench:c').acked >= count ? resolve() : setImmediate(poll));
    poll();
  });
}

/** Every contender of the memory benchmark, by name. */
export const MEMORY_CONTENDERS: Readonly<Record<string, (count: number) => Promise<number>>> = {
  fastq: fastqRun,
  'fastq.promise': fastqPromiseRun,
  actorq: (count) => actorqRun(count),
  /** actorq on a queue with `retry` and `dead_letter` configured but never used (the `retry` section). */
  'actorq-retry': (count) => actorqRun(count, retryYaml),
  /** actorq with a consumer `timeout` that no handler comes near (the `retry` section's second comparison). */
  'actorq-timeout': (count) => actorqRun(count, timeoutYaml),
  /** fastq.promise, one push per message in chunks of 100 (the per-message section's baseline). */
  'fastq.promise each': fastqPromiseEachRun,
  /** actorq, one `publish()` per message in chunks of 100 (the per-message section). */
  'actorq each': actorqEachRun,
};

if (import.meta.url === `file://${process.argv[1]}`) {
  // Serve one contender: warm up, say "ready", then time one run per
  // "run" line on stdin and answer with its rate, or answer an "alloc"
  // line with the bytes allocated per message in one untimed run; exit
  // when stdin closes.
  const [name = '', count = '1000000'] = process.argv.slice(2);
  const run = MEMORY_CONTENDERS[name];
  if (!run) {
    console.error(`unknown contender ${JSON.stringify(name)}; choose from ${Object.keys(MEMORY_CONTENDERS).join(', ')}`);
    process.exit(2);
  }
  await run(Number(count));
  console.log('ready');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === 'run') console.log(String(await run(Number(count))));
    else if (line.trim() === 'alloc') console.log(JSON.stringify(await allocatedPerMessage(run, Number(count))));
  }
}
