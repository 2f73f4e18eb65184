import { exhaustMap, timer, type Observable } from 'rxjs';
import type { AnyActorRef } from 'xstate';
import { isConsumerEntry, isDriverEntry, isQueueEntry } from '../config/registry.ts';
import type { ConsumerMetrics, EntryStatus, QueueMetrics, RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import type { RuntimeWiring } from './runtime-wiring.ts';
import { stateString } from './runtime-events.ts';

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
      denials: pool.security?.denials ?? 0,
      inFlight: pool.running,
      buffered: pool.buffered,
      latency: pool.latency.percentiles(),
      latencyHistogram: pool.latency.histogram(),
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
