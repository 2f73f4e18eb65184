/**
 * Upper bounds (seconds) of the handler-duration histogram buckets: from
 * half a millisecond (an in-memory handler) to a minute (a slow call out).
 */
/** A sample under this many ms means a handler as cheap as the clock reads that time it: sample more sparsely. */
export const FAST_SAMPLE_MS = 0.05;

export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Handler latency, sampled: the worker pool times one message in
 * {@link LatencySampler.sampleMask} + 1 (16 to start with), from the first
 * message on, and records the duration
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
  /** One message in this many is timed at first, and whenever handlers are slow enough for two clock reads not to matter. */
  static readonly SAMPLE_EVERY = 16;
  /** The sparsest sampling, for handlers so fast that the clock reads would be a visible part of their cost. */
  static readonly SAMPLE_EVERY_FASTEST = 1024;
  /**
   * The pool times one message in `sampleMask + 1`, the first included. Two clock
   * reads cost about as much as a trivial in-memory handler, so timing one
   * message in 16 cost 15% of end-to-end throughput at ~12M msg/s; the mask
   * therefore widens (to one in 1024) while samples are under
   * {@link FAST_SAMPLE_MS} and narrows back as soon as one is not.
   */
  #mask = LatencySampler.SAMPLE_EVERY - 1;
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

  /** The pool's sampling mask: a power of two minus one, between 15 and 1023. */
  get sampleMask(): number {
    return this.#mask;
  }

  /** Records one handler duration in milliseconds. */
  record(ms: number): void {
    if (ms < FAST_SAMPLE_MS) {
      if (this.#mask < LatencySampler.SAMPLE_EVERY_FASTEST - 1) this.#mask = this.#mask * 2 + 1;
    } else if (this.#mask > LatencySampler.SAMPLE_EVERY - 1) {
      this.#mask = LatencySampler.SAMPLE_EVERY - 1;
    }
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
 * Handler durations of the timed messages (one in 16, fewer for handlers
 * under {@link FAST_SAMPLE_MS}) since the consumer was wired, as
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
