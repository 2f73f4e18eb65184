/**
 * Upper bounds (seconds) of the handler-duration histogram buckets: from
 * half a millisecond (an in-memory handler) to a minute (a slow call out).
 */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Handler latency, sampled: the worker pool times one message in
 * `SAMPLE_EVERY`, from the first message on, and records the duration
 * twice: into a fixed ring of the most recent samples (for percentiles)
 * and into cumulative histogram buckets (for Prometheus). Nothing is
 * allocated per message; percentiles are worked out only when someone
 * reads them (a metrics scrape), from a copy.
 *
 * @example
 * ```ts
 * const sampler = new LatencySampler()
 * sampler.record(1.5)
 * sampler.percentiles() // { p50: 1.5, p95: 1.5, p99: 1.5, samples: 1 }
 * sampler.histogram()   // { buckets: [{ le: 0.0005, count: 0 }, { le: 0.001, count: 0 }, { le: 0.0025, count: 1 }, ...], sum: 0.0015, count: 1 }
 * ```
 */
export class LatencySampler {
  /** One message in this many is timed (a power of two: the pool masks a counter). */
  static readonly SAMPLE_EVERY = 16;
  readonly #ring: Float64Array;
  #next = 0;
  #count = 0;
  /** Samples per bucket (not cumulative); the last slot is `+Inf`. */
  readonly #buckets = new Float64Array(LATENCY_BUCKETS.length + 1);
  #sumSeconds = 0;
  #total = 0;

  /** @param capacity most recent samples kept. @default 1024 */
  constructor(capacity = 1024) {
    this.#ring = new Float64Array(capacity);
  }

  /** Records one handler duration in milliseconds. */
  record(ms: number): void {
    this.#ring[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#ring.length;
    if (this.#count < this.#ring.length) this.#count++;
    const seconds = ms / 1000;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.#buckets[i]!++;
    this.#sumSeconds += seconds;
    this.#total++;
  }

  /** p50/p95/p99 in milliseconds over the kept samples; zeros before the first sample. */
  percentiles(): LatencyPercentiles {
    const n = this.#count;
    if (n === 0) return { p50: 0, p95: 0, p99: 0, samples: 0 };
    const sorted = this.#ring.slice(0, n).sort();
    const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), samples: n };
  }

  /** Every sample since the start, in cumulative buckets of {@link LATENCY_BUCKETS} (the `+Inf` bucket is `count`). */
  histogram(): LatencyHistogram {
    let running = 0;
    const buckets = LATENCY_BUCKETS.map((le, i) => ({ le, count: (running += this.#buckets[i]!) }));
    return { buckets, sum: this.#sumSeconds, count: this.#total };
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

/**
 * Handler durations of the timed messages (one in
 * {@link LatencySampler.SAMPLE_EVERY}) since the consumer was wired, as
 * a Prometheus histogram: cumulative bucket counts, in seconds.
 */
export interface LatencyHistogram {
  /** `count` samples took at most `le` seconds; ascending `le`. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  /** Seconds, summed over the samples. */
  readonly sum: number;
  /** Samples (timed messages). */
  readonly count: number;
}
