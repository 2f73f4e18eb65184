import { compare, formatRate, pairedRatio, pairedSpread } from './bench-utils.ts';
import { CONCURRENCY, CONTENDERS_SCRIPT, PREFETCH } from './memory-contenders.ts';
import { ContenderPool, PROCESSES_PER_CONTENDER, type Allocation } from './contender-process.ts';

/**
 * Rounds of one comparison: each contender in warmed-up processes of its
 * own, asked in turn; then, untimed, the allocation per message of each.
 */
async function compareProcesses(names: readonly string[], count: number, rounds: number) {
  // A name ending in " again" is the same contender in processes of its own.
  const processes = Object.fromEntries(names.map((name) => [name, new ContenderPool(CONTENDERS_SCRIPT, [name.replace(/ again$/, ''), String(count)])]));
  try {
    for (const name of names) await processes[name]!.ready();
    const results = await compare(rounds, Object.fromEntries(names.map((name) => [name, () => processes[name]!.run()])));
    const allocations: Record<string, Allocation> = {};
    for (const name of names) if (!name.endsWith(' again')) allocations[name] = await processes[name]!.allocation();
    return { results, allocations };
  } finally {
    for (const p of Object.values(processes)) p.close();
  }
}

/** One line: bytes allocated per message by each contender, and where the first one allocates most. */
function allocationLine(allocations: Record<string, Allocation>): string {
  const sizes = Object.entries(allocations).map(([name, a]) => `${name} ${a.bytes.toFixed(0)} B`);
  const [first, a] = Object.entries(allocations).find(([name]) => name.startsWith('actorq'))!;
  const sites = a.top.map((t) => `${t.site} ${t.bytes.toFixed(0)} B`).join(', ');
  return `  allocated per message (V8 sampling heap profiler, one untimed run, freed objects included): ${sizes.join(', ')}; ${first} most in: ${sites}`;
}

function rateLines(results: Awaited<ReturnType<typeof compare>>, baseName: string): string[] {
  const base = results[baseName]!.median;
  return Object.entries(results).map(
    ([name, r]) =>
      `  ${name.padEnd(24)} ${formatRate(r.median).padStart(14)}   ratio vs ${baseName} ${(r.median / base).toFixed(2)}x   rounds: ${r.runs.map((x) => formatRate(x)).join(', ')}`,
  );
}

/**
 * The memory section of `npm run bench`: printable lines. Two comparisons,
 * each with its noise line: `publishBatch` against fastq's callback API,
 * and one `publish()` per message against `fastq.promise` pushed one
 * message at a time (chunks of 100 awaited with `Promise.all`).
 */
export async function runMemoryBench(rounds = 21, count = 1_000_000): Promise<string[]> {
  // 'fastq again' is fastq in a second process: its ratio to fastq is the
  // harness's own noise, printed beside the result it qualifies. fastq sits
  // between it and actorq in both orders of a round, so both ratios compare
  // runs made one after the other.
  const { results: batch, allocations: batchAllocations } = await compareProcesses(['fastq again', 'fastq', 'actorq', 'fastq.promise'], count, rounds);
  const { results: each, allocations: eachAllocations } = await compareProcesses(['fastq.promise each again', 'fastq.promise each', 'actorq each'], count, rounds);
  const ratio = (results: typeof batch, a: string, b: string) =>
    `${pairedRatio(results[a]!.runs, results[b]!.runs).toFixed(2)}x (middle half of rounds ${pairedSpread(results[a]!.runs, results[b]!.runs)})`;
  return [
    `memory driver, end to end (publish -> handler -> ack), ${count.toLocaleString('en')} messages, concurrency ${CONCURRENCY}, prefetch ${PREFETCH}`,
    `  ${rounds} rounds; each contender spread over ${PROCESSES_PER_CONTENDER} warmed-up processes of its own, asked in turn (order flips every round)`,
    `  publishBatch of 500 against fastq's callback API:`,
    ...rateLines(batch, 'fastq'),
    `  fastq again/fastq (same code, the harness's noise): ${ratio(batch, 'fastq again', 'fastq')}`,
    `  actorq/fastq.promise, median of per-round ratios: ${ratio(batch, 'actorq', 'fastq.promise')} (reference)`,
    `  actorq/fastq, median of per-round ratios: ${ratio(batch, 'actorq', 'fastq')} (target >= 1.1)`,
    allocationLine(batchAllocations),
    `  one publish() per message against fastq.promise, one push per message (both in chunks of 100 awaited with Promise.all):`,
    ...rateLines(each, 'fastq.promise each'),
    `  fastq.promise each again/fastq.promise each (the harness's noise): ${ratio(each, 'fastq.promise each again', 'fastq.promise each')}`,
    `  actorq each/fastq.promise each, median of per-round ratios: ${ratio(each, 'actorq each', 'fastq.promise each')} (target >= 1.0)`,
    allocationLine(eachAllocations),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await runMemoryBench(Number(process.env.ROUNDS ?? 21))) console.log(line);
}
