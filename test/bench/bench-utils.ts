/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Formats a rate as e.g. `1.23M msg/s`. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M msg/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k msg/s`;
  return `${perSecond.toFixed(0)} msg/s`;
}

/** Runs `fn` and returns messages per second for `count` messages. */
export async function rate(count: number, fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  const ns = Number(process.hrtime.bigint() - start);
  return count / (ns / 1e9);
}

/**
 * Runs each contender `rounds` times, interleaved so that machine noise
 * hits all alike, and returns the median rate of each. The order flips
 * every round (A B, B A, A B, ...): in one process the second run of a
 * pair can inherit a warmer heap or a cooler CPU from the first, and
 * measured A-against-A pairs differed by up to 9% on these machines, so a
 * fixed order would hand one side a steady bias.
 */
export async function compare(rounds: number, contenders: Record<string, () => Promise<number>>): Promise<Record<string, { median: number; runs: number[] }>> {
  const entries = Object.entries(contenders);
  const runs: Record<string, number[]> = Object.fromEntries(entries.map(([k]) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of r % 2 === 0 ? entries : [...entries].reverse()) runs[name]!.push(await run());
  }
  return Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, { median: median(v), runs: v }]));
}

/**
 * Median of the per-round ratios `a / b`. Rounds run back to back, so a
 * noisy neighbour slows both sides of a round alike: on a shared 2-core
 * machine this is steadier than the ratio of the two medians.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, i) => x / b[i]!));
}

/**
 * The middle half of the per-round ratios `a / b` (first to third
 * quartile), e.g. `0.95-1.12`: printed beside a median so that a reader
 * sees how far single rounds spread on a noisy machine.
 */
export function pairedSpread(a: readonly number[], b: readonly number[]): string {
  return middleHalf(a.map((x, i) => x / b[i]!));
}

/** First and third quartile of `values`, as `q1-q3` with two decimals. */
export function middleHalf(values: readonly number[]): string {
  const s = [...values].sort((x, y) => x - y);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `${at(0.25).toFixed(2)}-${at(0.75).toFixed(2)}`;
}
