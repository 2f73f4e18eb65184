import type { LatencyHistogram, LatencyPercentiles } from './latency-sampler.ts';

/** Lifecycle state of one supervised entry. */
export interface EntryStatus {
  readonly id: string;
  readonly kind: 'driver' | 'queue' | 'consumer';
  /** State path, e.g. `running`, `running.reconnecting`, `draining`. */
  readonly state: string;
  /** Last error the entry's machine recorded. */
  readonly error?: string;
}

/** Figures of one `queue.queue` entry. */
export interface QueueMetrics {
  readonly id: string;
  readonly driver: string;
  /**
   * Messages this process published to the queue that the driver accepted
   * (refused and failed publishes are not counted; nor are other
   * processes' publishes: see `ready` for the backend's view).
   */
  readonly published: number;
  /** Waiting in the backend (from the driver's `info`); undefined when the driver could not answer. */
  readonly ready: number | undefined;
  /** Delivered and not settled, across every consumer of the backend (driver's view). */
  readonly inFlight: number | undefined;
  /** Totals over this runtime's consumers of the queue. */
  readonly delivered: number;
  readonly acked: number;
  readonly nacked: number;
  readonly deadLettered: number;
}

/** Figures of one `queue.consumer` entry. */
export interface ConsumerMetrics {
  readonly id: string;
  readonly queue: string;
  readonly concurrency: number;
  readonly prefetch: number;
  readonly delivered: number;
  readonly acked: number;
  /** Nacks, including those that dead-lettered. */
  readonly nacked: number;
  readonly deadLettered: number;
  /** Given back untouched (shutdown). */
  readonly released: number;
  /** Operations of this consumer refused by its security policies (publish, info, consume). */
  readonly denials: number;
  /** Handlers running now. */
  readonly inFlight: number;
  /** Waiting in the prefetch buffer. */
  readonly buffered: number;
  /** Handler latency in ms, sampled (1 in 16; down to 1 in 1,024 for handlers under 50 µs), over the most recent samples. */
  readonly latency: LatencyPercentiles;
  /** The same samples since the consumer was wired, as histogram buckets in seconds (Prometheus `actorq_consumer_handler_duration_seconds`). */
  readonly latencyHistogram: LatencyHistogram;
}

/**
 * One reading of a runtime: every entry's lifecycle state and the message
 * figures per queue and consumer. Plain data: JSON-serialisable as is.
 *
 * @example
 * ```ts
 * const m = await runtime.metrics()
 * console.log(m.consumers.map((c) => `${c.id} ${c.acked} p99=${c.latency.p99}ms`))
 * ```
 */
export interface RuntimeMetrics {
  /** When it was taken (ms since the epoch). */
  readonly at: number;
  /** The runtime machine's state. */
  readonly runtime: string;
  readonly entries: readonly EntryStatus[];
  readonly queues: readonly QueueMetrics[];
  readonly consumers: readonly ConsumerMetrics[];
}

/** Anything that can be read for figures: a runtime, or a stand-in in tests. */
export interface MetricsReader {
  metrics(): Promise<RuntimeMetrics>;
}
