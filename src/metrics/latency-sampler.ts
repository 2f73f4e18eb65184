/**
 * Handler latency, sampled: the worker pool times one message in
 * `SAMPLE_EVERY` and writes the duration into a fixed ring of the most
 * recent samples. Nothing is allocated per message; percentiles are worked
 * out only when someone reads them (a metrics scrape), from a copy.
 *
 * @example
 * ```ts
 * const sampler = new LatencySampler()
 * sampler.record(1.5)
 * sampler.percentiles() // { p50: 1.5, p95: 1.5, p99: 1.5, samples: 1 }
 * ```
 */
export class LatencySampler {
  /** One message in this many is timed (a power of two: the pool masks a counter). */
  static readonly SAMPLE_EVERY = 16;
  readonly #ring: Float64Array;
  #next = 0;
  #count = 0;

  /** @param capacity most recent samples kept. @default 1024 */
  constructor(capacity = 1024) {
    this.#ring = new Float64Array(capacity);
  }

  /** Records one handler duration in milliseconds. */
  record(ms: number): void {
    this.#ring[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#ring.length;
    if (this.#count < this.#ring.length) this.#count++;
  }

  /** p50/p95/p99 in milliseconds over the kept samples; zeros before the first sample. */
  percentiles(): LatencyPercentiles {
    const n = this.#count;
    if (n === 0) return { p50: 0, p95: 0, p99: 0, samples: 0 };
    const sorted = this.#ring.slice(0, n).sort();
    const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), samples: n };
  }
}

/** Handler latency percentiles in milliseconds. */
export interface LatencyPercentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Samples they were computed from (at most the sampler's capacity). */
  readonly samples: number;
}
