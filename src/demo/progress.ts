import type { ConsumerStats } from '../runtime/create-runtime.ts';

/** One progress line: processed, acked, nacked, dead-lettered, in flight and rate. */
export function progressLine(stats: ConsumerStats, published: number, elapsedMs: number): string {
  const processed = stats.acked + stats.deadLettered;
  const rate = elapsedMs > 0 ? Math.round((processed / elapsedMs) * 1000) : 0;
  const pct = published > 0 ? Math.floor((processed / published) * 100) : 0;
  return (
    `processed ${processed}/${published} (${pct}%)  acked ${stats.acked}  nacked ${stats.nacked}  ` +
    `dead-lettered ${stats.deadLettered}  in flight ${stats.running}+${stats.buffered}  ${rate.toLocaleString('en')} msg/s`
  );
}
