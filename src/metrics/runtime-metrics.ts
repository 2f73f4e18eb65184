import { exhaustMap, timer, type Observable } from 'rxjs';
import type { AnyActorRef } from 'xstate';
import { isConsumerEntry, isDriverEntry, isQueueEntry } from '../config/registry.ts';
import type { RuntimeWiring } from '../runtime/runtime-wiring.ts';
import { stateString } from '../runtime/runtime-events.ts';
import type { LatencyPercentiles } from './latency-sampler.ts';

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
  /** Messages this runtime handed to the driver for the queue. */
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
  /** Handlers running now. */
  readonly inFlight: number;
  /** Waiting in the prefetch buffer. */
  readonly buffered: number;
  /** Handler latency in ms, sampled (1 in 16), over the most recent samples. */
  readonly latency: LatencyPercentiles;
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

/** What {@link collectRuntimeMetrics} reads. @internal */
export interface MetricsSource {
  readonly wiring: RuntimeWiring | undefined;
  readonly published: ReadonlyMap<string, number>;
  readonly root: AnyActorRef;
  lookup(id: string): AnyActorRef | undefined;
}

/**
 * Takes one {@link RuntimeMetrics} reading. Queue depths come from each
 * driver's `info` (a network round trip for external drivers), so this is
 * async; a driver that cannot answer leaves `ready`/`inFlight` undefined.
 * @internal Called by `Runtime.metrics()`.
 */
export async function collectRuntimeMetrics(source: MetricsSource): Promise<RuntimeMetrics> {
  const runtime = stateString(source.root.getSnapshot().value);
  const wiring = source.wiring;
  if (!wiring) return { at: Date.now(), runtime, entries: [], queues: [], consumers: [] };
  const entries: EntryStatus[] = [];
  for (const entry of wiring.registry.entries.values()) {
    const kind = isDriverEntry(entry) ? 'driver' : isQueueEntry(entry) ? 'queue' : isConsumerEntry(entry) ? 'consumer' : undefined;
    const snapshot = kind && source.lookup(entry.id)?.getSnapshot();
    if (!kind || !snapshot) continue;
    const error = snapshot.context?.error as string | undefined;
    entries.push({ id: entry.id, kind, state: stateString(snapshot.value), ...(error ? { error } : {}) });
  }
  const consumers: ConsumerMetrics[] = [];
  for (const { entry, pool } of wiring.consumers.values()) {
    const c = pool.counters;
    consumers.push({
      id: entry.id,
      queue: entry.queue,
      concurrency: entry.concurrency,
      prefetch: entry.prefetch,
      delivered: c.delivered,
      acked: c.acked,
      nacked: c.nacked,
      deadLettered: c.deadLettered,
      released: c.released,
      inFlight: pool.running,
      buffered: pool.buffered,
      latency: pool.latency.percentiles(),
    });
  }
  const queues = await Promise.all(
    [...wiring.queues.values()].map(async ({ entry, driver, declaration }): Promise<QueueMetrics> => {
      const info = await driver.info(declaration.name).catch(() => undefined);
      const mine = consumers.filter((c) => c.queue === entry.id);
      const sum = (f: (c: ConsumerMetrics) => number) => mine.reduce((n, c) => n + f(c), 0);
      return {
        id: entry.id,
        driver: entry.driver,
        published: source.published.get(entry.id) ?? 0,
        ready: info?.ready,
        inFlight: info?.in_flight,
        delivered: sum((c) => c.delivered),
        acked: sum((c) => c.acked),
        nacked: sum((c) => c.nacked),
        deadLettered: sum((c) => c.deadLettered),
      };
    }),
  );
  return { at: Date.now(), runtime, entries, queues, consumers };
}

/**
 * A reading every `periodMs`, starting now. A slow reading (a driver's
 * `info` hanging) is never overlapped by the next one: ticks that arrive
 * meanwhile are skipped.
 * @internal Called by `Runtime.metrics$()`.
 */
export function metricsEvery(read: () => Promise<RuntimeMetrics>, periodMs: number): Observable<RuntimeMetrics> {
  return timer(0, periodMs).pipe(exhaustMap(() => read()));
}
