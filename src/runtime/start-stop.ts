import { waitFor, type AnyActorRef } from 'xstate';
import { dependenciesOf, startOrder, stopOrder } from '../config/dependency-graph.ts';
import { isConsumerEntry, isDriverEntry, isQueueEntry, type Registry } from '../config/registry.ts';
import type { Entry } from '../config/entry-types.ts';
import { StartError } from '../errors/lifecycle-errors.ts';

/** The actor event prefix of a supervised entry, or undefined for entries without an actor (functions). */
export function actorKindOf(entry: Entry): 'driver' | 'queue' | 'consumer' | undefined {
  if (isDriverEntry(entry)) return 'driver';
  if (isQueueEntry(entry)) return 'queue';
  if (isConsumerEntry(entry)) return 'consumer';
  return undefined;
}

/** Looks up an entry's actor in the system. */
export type ActorLookup = (id: string) => AnyActorRef | undefined;

// `stopped`: a stop arrived while the entry was starting.
const SETTLED_AFTER_START = ['running', 'failed', 'restarting', 'stopped'];
const SETTLED_AFTER_STOP = ['stopped', 'failed', 'idle'];
const matchesAny = (snapshot: { matches(v: string): boolean }, states: readonly string[]) => states.some((s) => snapshot.matches(s));

/**
 * Starts `ids` and, first, everything they depend on, one at a time in
 * dependency order, waiting for each to be `running`. An entry that fails
 * (or falls back to restarting) blocks its dependents, which are reported
 * too; independent entries still start.
 *
 * @throws StartError listing every entry that did not start and why.
 */
export async function startEntries(registry: Registry, ids: Iterable<string>, lookup: ActorLookup, signal?: AbortSignal): Promise<void> {
  const failures = new Map<string, unknown>();
  for (const id of startOrder(registry, ids)) {
    if (signal?.aborted) break;
    const entry = registry.entries.get(id)!;
    const kind = actorKindOf(entry);
    const blocker = dependenciesOf(registry, id).find((dep) => failures.has(dep));
    if (blocker) {
      failures.set(id, new Error(`not started: dependency ${blocker} failed`));
      continue;
    }
    if (!kind) continue;
    const actor = lookup(id)!;
    if (actor.getSnapshot().matches('running')) continue;
    actor.send({ type: `${kind}.start` });
    const snapshot = await waitFor(actor, (s) => matchesAny(s, SETTLED_AFTER_START), { timeout: Infinity });
    if (!snapshot.matches('running')) {
      const state = snapshot.matches('restarting') ? 'failed, retrying in the background' : snapshot.matches('stopped') ? 'stopped while starting' : 'failed';
      failures.set(id, new Error(`${state}: ${snapshot.context.error ?? 'unknown error'}`));
    }
  }
  if (failures.size > 0) throw new StartError(failures);
}

/**
 * Stops every entry that is not already stopped, dependents first
 * (consumers, then queues, then drivers), waiting for each: a consumer
 * waits for its handlers up to its `stop_timeout`. Returns the IDs of
 * consumers that hit their timeout.
 */
export async function stopEntries(registry: Registry, lookup: ActorLookup, ids?: Iterable<string>): Promise<string[]> {
  const timedOut: string[] = [];
  const order = ids ? stopOrderOfDependents(registry, [...ids]) : stopOrder(registry);
  for (const id of order) {
    const kind = actorKindOf(registry.entries.get(id)!);
    if (!kind) continue;
    const actor = lookup(id)!;
    if (matchesAny(actor.getSnapshot(), SETTLED_AFTER_STOP)) continue;
    actor.send({ type: `${kind}.stop` });
    const snapshot = await waitFor(actor, (s) => matchesAny(s, SETTLED_AFTER_STOP), { timeout: Infinity });
    if (snapshot.context.stopTimedOut) timedOut.push(id);
  }
  return timedOut;
}

/**
 * Stopping an entry first stops whatever depends on it (a driver's
 * consumers before the driver), and nothing else.
 */
function stopOrderOfDependents(registry: Registry, ids: string[]): string[] {
  const targets = new Set(ids);
  const all = stopOrder(registry);
  let grew = true;
  while (grew) {
    grew = false;
    for (const id of all) {
      if (targets.has(id)) continue;
      if (dependenciesOf(registry, id).some((dep) => targets.has(dep))) {
        targets.add(id);
        grew = true;
      }
    }
  }
  return all.filter((id) => targets.has(id));
}
