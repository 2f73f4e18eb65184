import type { RuntimeChild } from '../../machines/runtime.machine.ts';
import type { ServiceInput } from '../../machines/lifecycle-types.ts';
import { startOrder } from '../config/dependency-graph.ts';
import { isConsumerEntry, isDriverEntry, isQueueEntry, type Registry } from '../config/registry.ts';
import type { ConsumerEntry, DriverEntry } from '../config/entry-types.ts';

/**
 * Slack on top of an entry's own limits before the supervisor stops
 * waiting for it. The entry's machine enforces its limits itself; this
 * bound only guarantees that a wait ends even if the entry never reports.
 */
const SUPERVISION_MARGIN_MS = 1000;

/**
 * What `start()` starts: every `auto_start` entry, and every queue on a
 * driver that will run. A queue is a declaration its driver holds, so it is
 * declared (and can take publishes) as soon as its driver is up, whether or
 * not a consumer reads it yet.
 */
function autoStartIds(registry: Registry): Set<string> {
  const entries = [...registry.entries.values()];
  const ids = entries.filter((e) => 'lifecycle' in e && e.lifecycle.auto_start).map((e) => e.id);
  const starting = new Set(startOrder(registry, ids));
  for (const e of entries) if (isQueueEntry(e) && starting.has(e.driver)) ids.push(e.id);
  return new Set(ids);
}

/**
 * The actors the runtime machine spawns and supervises for a registry:
 * drivers, queues and consumers, in start order, each with the supervised
 * entries it depends on (transitively) and the bounds of its waits.
 */
export function runtimeChildren(registry: Registry): RuntimeChild[] {
  const supervised = (id: string) => {
    const e = registry.entries.get(id)!;
    return isDriverEntry(e) || isQueueEntry(e) || isConsumerEntry(e);
  };
  const autoStart = autoStartIds(registry);
  const service = (e: DriverEntry | ConsumerEntry): ServiceInput => ({
    id: e.id,
    start_timeout: e.lifecycle.start_timeout,
    stop_timeout: e.lifecycle.stop_timeout,
    restart: { ...e.lifecycle.restart },
  });
  const children: RuntimeChild[] = [];
  for (const id of startOrder(registry).filter(supervised)) {
    const e = registry.entries.get(id)!;
    const dependsOn = startOrder(registry, [id]).filter((dep) => dep !== id && supervised(dep));
    const common = { id, dependsOn, autoStart: autoStart.has(id) };
    if (isDriverEntry(e) || isConsumerEntry(e)) {
      const bounds = { startBound: e.lifecycle.start_timeout + SUPERVISION_MARGIN_MS, stopBound: e.lifecycle.stop_timeout + SUPERVISION_MARGIN_MS };
      if (isDriverEntry(e)) children.push({ ...common, ...bounds, kind: 'driver', input: service(e) });
      else children.push({ ...common, ...bounds, kind: 'consumer', input: { ...service(e), concurrency: e.concurrency } });
    } else if (isQueueEntry(e)) {
      // A queue has no lifecycle block of its own: its driver's limits apply.
      const driver = registry.entries.get(e.driver) as DriverEntry;
      const input = { id, driver: e.driver, start_timeout: driver.lifecycle.start_timeout, stop_timeout: driver.lifecycle.stop_timeout };
      children.push({ ...common, kind: 'queue', input, startBound: input.start_timeout + SUPERVISION_MARGIN_MS, stopBound: input.stop_timeout + SUPERVISION_MARGIN_MS });
    }
  }
  return children;
}
