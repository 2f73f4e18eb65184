import fastq from 'fastq';
import { createRuntime } from '../../src/index.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { compare, formatRate, pairedRatio, rate } from './bench-utils.ts';

const CONCURRENCY = 10;
const PREFETCH = 100;
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

const yaml = `
namespace: bench
entries:
  - { name: driver, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: bench:driver, driver_options: { memory: { max_length: ${MAX_LENGTH} } } }
  - { name: c, kind: queue.consumer, queue: bench:q, func: bench:handler, concurrency: ${CONCURRENCY}, prefetch: ${PREFETCH}, lifecycle: { auto_start: true } }
`;

/**
 * actorq end to end: `publishBatch` (waiting for room: the queue is bounded)
 * -> memory driver -> prefetch buffer -> 10 workers -> handler -> ack,
 * timed until the consumer has acked every message.
 */
async function actorqRun(count: number): Promise<number> {
  const runtime = createRuntime({
    registry: parseConfigText(yaml, '<bench>', { extraFunctionIds: ['bench:handler'] }),
    functions: { 'bench:handler': handler },
    logger: silentLogger,
  });
  await runtime.start();
  const bodies = Array.from({ length: BATCH }, (_, i) => i + 1);
  const result = await rate(count, async () => {
    for (let sent = 0; sent < count; sent += BATCH) await runtime.publishBatch('bench:q', bodies);
    await new Promise<void>((resolve) => {
      const poll = () => (runtime.consumerStats('bench:c').acked >= count ? resolve() : setImmediate(poll));
      poll();
    });
  });
  await runtime.stop();
  return result;
}

/** The memory section of `npm run bench`: printable lines. */
export async function runMemoryBench(rounds = 7, count = 1_000_000): Promise<string[]> {
  // One untimed round each so the JIT has seen both paths.
  await fastqRun(count / 10);
  await actorqRun(count / 10);
  const results = await compare(rounds, { fastq: () => fastqRun(count), actorq: () => actorqRun(count) });
  const base = results['fastq']!.median;
  const paired = pairedRatio(results['actorq']!.runs, results['fastq']!.runs);
  return [
    `memory driver, end to end (publish -> handler -> ack), ${count.toLocaleString('en')} messages, concurrency ${CONCURRENCY}, prefetch ${PREFETCH}, median of ${rounds}`,
    ...Object.entries(results).map(
      ([name, r]) =>
        `  ${name.padEnd(8)} ${formatRate(r.median).padStart(14)}   ratio vs fastq ${(r.median / base).toFixed(2)}x   runs: ${r.runs.map((x) => formatRate(x)).join(', ')}`,
    ),
    `  actorq/fastq, median of per-round ratios: ${paired.toFixed(2)}x (target >= 1.0)`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await runMemoryBench(Number(process.env.ROUNDS ?? 7))) console.log(line);
}
