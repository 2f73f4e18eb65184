import { compare, formatRate, pairedRatio, pairedSpread } from './bench-utils.ts';
import { ContenderPool, PROCESSES_PER_CONTENDER } from './contender-process.ts';
import { CONCURRENCY, CONTENDERS_SCRIPT, PREFETCH } from './memory-contenders.ts';

/**
 * The `retry` section of `npm run bench`: memory-driver throughput end to
 * end with a queue `retry` policy (and a dead-letter queue) configured but
 * never used (every message succeeds) against the same run without them.
 * The policy is read only on a nack, so the two should not differ beyond
 * the harness's noise; target: within 5%. Likewise a consumer `timeout`
 * that no handler comes near: the time limit is watched by one sweep per
 * pool, not per message, so it should cost nothing either (reading the
 * clock per message had cost a third of the throughput).
 *
 * Same harness as the memory section: each contender in its own warmed-up
 * processes, asked in turn with the order flipped every round, medians and
 * per-round ratios. `actorq again` is plain actorq in processes of its
 * own: its ratio to `actorq` is the noise the result is read against.
 */
export async function runMemoryRetryBench(rounds = 15, count = 1_000_000): Promise<string[]> {
  const names = ['actorq again', 'actorq', 'actorq-retry', 'actorq-timeout'];
  const processes = Object.fromEntries(names.map((name) => [name, new ContenderPool(CONTENDERS_SCRIPT, [name === 'actorq again' ? 'actorq' : name, String(count)])]));
  try {
    for (const name of names) await processes[name]!.ready();
    const results = await compare(rounds, Object.fromEntries(names.map((name) => [name, () => processes[name]!.run()])));
    const base = results['actorq']!.median;
    const ratio = pairedRatio(results['actorq-retry']!.runs, results['actorq']!.runs);
    const timeoutRatio = pairedRatio(results['actorq-timeout']!.runs, results['actorq']!.runs);
    const noise = pairedRatio(results['actorq again']!.runs, results['actorq']!.runs);
    const spread = (name: string) => pairedSpread(results[name]!.runs, results['actorq']!.runs);
    return [
      `memory driver, end to end, ${count.toLocaleString('en')} messages, concurrency ${CONCURRENCY}, prefetch ${PREFETCH}: retry policy configured but unused vs none; consumer timeout never reached vs none`,
      `  ${rounds} rounds; each contender spread over ${PROCESSES_PER_CONTENDER} warmed-up processes of its own, asked in turn (order flips every round)`,
      ...Object.entries(results).map(
        ([name, r]) =>
          `  ${name.padEnd(15)} ${formatRate(r.median).padStart(14)}   ratio vs actorq ${(r.median / base).toFixed(3)}x   rounds: ${r.runs.map((x) => formatRate(x)).join(', ')}`,
      ),
      `  actorq again/actorq (same code, the harness's noise): ${noise.toFixed(3)}x`,
      `  actorq-retry/actorq, median of per-round ratios: ${ratio.toFixed(3)}x (middle half of rounds ${spread('actorq-retry')}; target within 5%: 0.95-1.05)`,
      `  actorq-timeout/actorq, median of per-round ratios: ${timeoutRatio.toFixed(3)}x (middle half of rounds ${spread('actorq-timeout')}; target within 5%: 0.95-1.05)`,
    ];
  } finally {
    for (const p of Object.values(processes)) p.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await runMemoryRetryBench(Number(process.env.ROUNDS ?? 15))) console.log(line);
}
