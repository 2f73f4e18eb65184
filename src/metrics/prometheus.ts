import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { LatencyHistogram } from './latency-sampler.ts';
import type { RuntimeMetrics } from './runtime-metrics.ts';

/** Every lifecycle state an entry's machine can be in, for `actorq_entry_state`. */
const STATES = ['idle', 'starting', 'running', 'running.connected', 'running.reconnecting', 'draining', 'stopped', 'restarting', 'failed'];

/** prom-client default metrics that are gauges with a `_total` suffix (see `nodejs_active_handles{type}` and the like). */
const NOT_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Options of {@link createPrometheusMetrics}. */
export interface PrometheusOptions {
  /**
   * Also export prom-client's process and Node.js metrics (`process_*`,
   * `nodejs_*`: CPU, memory, event-loop lag, GC, handles) from the same
   * registry.
   * @default true
   */
  readonly defaultMetrics?: boolean;
}

/**
 * The runtime's figures as Prometheus metrics (built with `prom-client`,
 * in its own registry so an embedding app's default registry is left
 * alone). Call `scrape(reading)` with a fresh {@link RuntimeMetrics}.
 *
 * Names (every one passes `promtool check metrics`):
 * - counters `actorq_queue_published_total{queue}` (publishes of this
 *   process the driver accepted) and
 *   `actorq_consumer_{delivered,acked,nacked,dead_lettered,released,denials}_total{consumer,queue}`;
 * - gauges `actorq_queue_{ready,in_flight}{queue}` (the driver's view),
 *   `actorq_consumer_{in_flight,buffered}{consumer,queue}`,
 *   `actorq_entry_state{entry,kind,state}` and `actorq_runtime_state{state}`
 *   (1 for the current state, 0 for the others);
 * - histogram `actorq_consumer_handler_duration_seconds{consumer,queue}`
 *   (`_bucket{le}`, `_sum`, `_count`) of one message in 16, timed from
 *   the first message;
 * - with `defaultMetrics`, prom-client's `process_*` and `nodejs_*` (less
 *   three `nodejs_active_*_total` gauges promtool takes for mislabelled
 *   counters; their per-type gauges remain).
 *
 * @example
 * ```ts
 * const prom = createPrometheusMetrics()
 * const text = await prom.scrape(await runtime.metrics())
 * ```
 */
export function createPrometheusMetrics(options: PrometheusOptions = {}): PrometheusMetrics {
  const registry = new Registry();
  const counter = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: [registry] });
  const q = ['queue'];
  const c = ['consumer', 'queue'];
  const published = counter('actorq_queue_published_total', 'Messages this process published to the queue that the driver accepted', q);
  const ready = gauge('actorq_queue_ready', 'Messages waiting in the backend, from every publisher (driver info)', q);
  const queueInFlight = gauge('actorq_queue_in_flight', 'Delivered, unsettled messages across every consumer of the backend (driver info)', q);
  const totals = {
    delivered: counter('actorq_consumer_delivered_total', 'Messages received from the driver', c),
    acked: counter('actorq_consumer_acked_total', 'Messages acked', c),
    nacked: counter('actorq_consumer_nacked_total', 'Messages nacked (including dead-lettered)', c),
    deadLettered: counter('actorq_consumer_dead_lettered_total', 'Messages moved to the dead-letter queue', c),
    released: counter('actorq_consumer_released_total', 'Messages given back untouched at shutdown', c),
    denials: counter('actorq_consumer_denials_total', 'Operations of the consumer refused by its security policies', c),
  } as const;
  const inFlight = gauge('actorq_consumer_in_flight', 'Handlers running now', c);
  const buffered = gauge('actorq_consumer_buffered', 'Messages in the prefetch buffer', c);
  const duration = new ReadingHistogram('actorq_consumer_handler_duration_seconds', 'Handler duration of one message in 16 (sampled from the first message)', c);
  registry.registerMetric(duration as unknown as Metric);
  const entryState = gauge('actorq_entry_state', 'Lifecycle state of each entry (1 = current)', ['entry', 'kind', 'state']);
  const runtimeState = gauge('actorq_runtime_state', 'Lifecycle state of the runtime (1 = current)', ['state']);
  const ours = [published, ready, queueInFlight, ...Object.values(totals), inFlight, buffered, entryState, runtimeState];
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters fail `promtool check metrics`; each is the sum of a `{type}` gauge kept beside it.
    for (const name of NOT_COUNTERS) registry.removeSingleMetric(name);
  }

  return {
    registry,
    async scrape(m) {
      // Only actorq's own: the default metrics keep state between scrapes (CPU time is counted up from the last one).
      for (const metric of ours) metric.reset();
      duration.clear();
      for (const queue of m.queues) {
        published.inc({ queue: queue.id }, queue.published);
        if (queue.ready !== undefined) ready.set({ queue: queue.id }, queue.ready);
        if (queue.inFlight !== undefined) queueInFlight.set({ queue: queue.id }, queue.inFlight);
      }
      for (const con of m.consumers) {
        const labels = { consumer: con.id, queue: con.queue };
        for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key].inc(labels, con[key]);
        inFlight.set(labels, con.inFlight);
        buffered.set(labels, con.buffered);
        duration.set(labels, con.latencyHistogram);
      }
      for (const e of m.entries) {
        const states = STATES.includes(e.state) ? STATES : [...STATES, e.state];
        for (const state of states) entryState.set({ entry: e.id, kind: e.kind, state }, state === e.state ? 1 : 0);
      }
      runtimeState.set({ state: m.runtime }, 1);
      return registry.metrics();
    },
  };
}

/** See {@link createPrometheusMetrics}. */
export interface PrometheusMetrics {
  /** The `prom-client` registry holding actorq's metrics. */
  readonly registry: Registry;
  /** Sets every metric from `reading` and returns the Prometheus text exposition. */
  scrape(reading: RuntimeMetrics): Promise<string>;
}

/**
 * A histogram whose buckets come whole from a reading (the worker pool
 * counts them), rather than from `observe()` calls: prom-client's
 * `Histogram` cannot be set, so this is the small part of its metric
 * interface the registry reads (`name`, `get()`).
 */
class ReadingHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, { labels: Record<string, string>; value: LatencyHistogram }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  set(labels: Record<string, string>, value: LatencyHistogram): void {
    this.#series.set(JSON.stringify(labels), { labels, value });
  }

  clear(): void {
    this.#series.clear();
  }

  reset(): void {
    this.clear();
  }

  async get() {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const { labels, value } of this.#series.values()) {
      for (const b of value.buckets) values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: b.le }, value: b.count });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: value.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: value.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: value.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
