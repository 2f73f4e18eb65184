import { Counter, Gauge, Registry } from 'prom-client';
import type { RuntimeMetrics } from './runtime-metrics.ts';

/** Every lifecycle state an entry's machine can be in, for `actorq_entry_state`. */
const STATES = ['idle', 'starting', 'running', 'running.connected', 'running.reconnecting', 'draining', 'stopped', 'restarting', 'failed'];

/**
 * The runtime's figures as Prometheus metrics (built with `prom-client`,
 * in its own registry so an embedding app's default registry is left
 * alone). Call `scrape(reading)` with a fresh {@link RuntimeMetrics}.
 *
 * Names: `actorq_queue_published_total{queue}`,
 * `actorq_consumer_{delivered,acked,nacked,dead_lettered,released}_total{consumer,queue}`,
 * `actorq_consumer_{in_flight,buffered}{consumer,queue}`,
 * `actorq_consumer_handler_latency_seconds{consumer,queue,quantile}`,
 * `actorq_queue_{ready,in_flight}{queue}`, `actorq_entry_state{entry,kind,state}` (1 for the current state).
 *
 * @example
 * ```ts
 * const prom = createPrometheusMetrics()
 * const text = await prom.scrape(await runtime.metrics())
 * ```
 */
export function createPrometheusMetrics(): PrometheusMetrics {
  const registry = new Registry();
  const counter = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: [registry] });
  const q = ['queue'];
  const c = ['consumer', 'queue'];
  const published = counter('actorq_queue_published_total', 'Messages handed to the driver', q);
  const ready = gauge('actorq_queue_ready', 'Messages waiting in the backend (driver info)', q);
  const queueInFlight = gauge('actorq_queue_in_flight', 'Delivered, unsettled messages (driver info)', q);
  const totals = {
    delivered: counter('actorq_consumer_delivered_total', 'Messages received from the driver', c),
    acked: counter('actorq_consumer_acked_total', 'Messages acked', c),
    nacked: counter('actorq_consumer_nacked_total', 'Messages nacked (including dead-lettered)', c),
    deadLettered: counter('actorq_consumer_dead_lettered_total', 'Messages moved to the dead-letter queue', c),
    released: counter('actorq_consumer_released_total', 'Messages given back untouched at shutdown', c),
  } as const;
  const inFlight = gauge('actorq_consumer_in_flight', 'Handlers running now', c);
  const buffered = gauge('actorq_consumer_buffered', 'Messages in the prefetch buffer', c);
  const latency = gauge('actorq_consumer_handler_latency_seconds', 'Handler latency quantiles, sampled 1 in 16', [...c, 'quantile']);
  const entryState = gauge('actorq_entry_state', 'Lifecycle state of each entry (1 = current)', ['entry', 'kind', 'state']);
  const runtimeState = gauge('actorq_runtime_state', 'Lifecycle state of the runtime (1 = current)', ['state']);

  return {
    registry,
    async scrape(m) {
      registry.resetMetrics();
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
        for (const quantile of ['p50', 'p95', 'p99'] as const) {
          latency.set({ ...labels, quantile: quantile === 'p50' ? '0.5' : quantile === 'p95' ? '0.95' : '0.99' }, con.latency[quantile] / 1000);
        }
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
