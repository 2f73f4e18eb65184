/**
 * The `embed` section of `npm run bench`: what a handler given as XState
 * actor logic costs against a plain function doing the same (nothing),
 * end to end on the memory driver: `fromPromise` (one promise actor per
 * message) and a machine that invokes it and ends in a final state (two
 * actors per message), against a plain async function.
 *
 * All in one process, runs taken in turn with the order flipping every
 * round; medians, and medians of the per-round ratios. `plain again` is
 * the plain handler a second time: its ratio to `plain` is the noise the
 * other ratios are read against.
 *
 * Run: `npx tsx test/bench/embed-bench.ts`, or import {@link runEmbedBench}.
 */
import { fromPromise, setup } from 'xstate';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import type { FunctionValue } from '../../src/functions/actor-handler.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { compare, formatRate, pairedRatio } from './bench-utils.ts';

const CONCURRENCY = 10;
const PREFETCH = 100;
const YAML = `namespace: bench
entries:
  - { name: mem, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: bench:mem, driver_options: { memory: { max_length: 2000000 } } }
  - { name: c, kind: queue.consumer, queue: bench:q, func: bench:h, concurrency: ${CONCURRENCY}, prefetch: ${PREFETCH}, lifecycle: { auto_start: true } }
`;

/** Messages per second through one runtime whose handler is made by `handler(onDone)`. */
async function oneRun(messages: number, handler: (onDone: () => void) => FunctionValue): Promise<number> {
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const runtime = createRuntime({
    registry: parseConfigText(YAML, '<bench>', { extraFunctionIds: ['bench:h'] }),
    logger: silentLogger,
    functions: { 'bench:h': handler(() => void (++done === messages && finish())) },
  });
  await runtime.start();
  const bodies = Array.from({ length: 1000 }, (_, i) => ({ i }));
  const started = performance.now();
  for (let sent = 0; sent < messages; sent += bodies.length) await runtime.publishBatch('bench:q', bodies);
  await all;
  const ms = performance.now() - started;
  await runtime.stop();
  return (messages / ms) * 1000;
}

const plain = (onDone: () => void): FunctionValue => async () => onDone();
const promiseActor = (onDone: () => void): FunctionValue => fromPromise(async () => onDone());
const machine = (onDone: () => void): FunctionValue =>
  setup({ actors: { work: fromPromise(async () => onDone()) } }).createMachine({
    initial: 'working',
    states: { working: { invoke: { src: 'work', onDone: 'done' } }, done: { type: 'final' } },
  });

/** Runs the comparison and returns printable lines. */
export async function runEmbedBench(rounds = 7, messages = 50_000): Promise<string[]> {
  await oneRun(Math.min(messages, 5_000), plain); // warm-up
  await oneRun(Math.min(messages, 5_000), promiseActor);
  const results = await compare(rounds, {
    'plain again': () => oneRun(messages, plain),
    plain: () => oneRun(messages, plain),
    fromPromise: () => oneRun(messages, promiseActor),
    machine: () => oneRun(messages, machine),
  });
  const base = results['plain']!;
  const ratio = (name: string) => pairedRatio(base.runs, results[name]!.runs);
  return [
    `memory driver, end to end, ${messages.toLocaleString('en')} messages, concurrency ${CONCURRENCY}, prefetch ${PREFETCH}: handler as actor logic vs a plain async function`,
    `  ${rounds} rounds in one process, taken in turn (order flips every round)`,
    ...Object.entries(results).map(
      ([name, r]) => `  ${name.padEnd(12)} ${formatRate(r.median).padStart(14)}   rounds: ${r.runs.map((x) => formatRate(x)).join(', ')}`,
    ),
    `  plain/plain again (same code, the harness's noise): ${pairedRatio(base.runs, results['plain again']!.runs).toFixed(3)}x`,
    `  plain/fromPromise, median of per-round ratios: ${ratio('fromPromise').toFixed(2)}x (what one actor per message costs)`,
    `  plain/machine (a machine invoking the same promise), median of per-round ratios: ${ratio('machine').toFixed(2)}x`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await runEmbedBench(Number(process.env['ROUNDS'] ?? 7), Number(process.env['MESSAGES'] ?? 50_000))) console.log(line);
}
