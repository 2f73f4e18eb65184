import type { ActorSystem, AnyActorRef } from 'xstate';
import type { ActorqStopReport } from './actorq-events.ts';

/** Stops still under way, per actor system. */
type AnyActorSystem = ActorSystem<any>;

const drains = new WeakMap<AnyActorSystem, Set<Promise<ActorqStopReport>>>();

/**
 * Records a stop under way in `system` until it settles. `stop` never
 * rejects (failures are in its report).
 * @internal
 */
export function trackDrain(system: AnyActorSystem, stop: Promise<ActorqStopReport>): void {
  let set = drains.get(system);
  if (!set) drains.set(system, (set = new Set()));
  set.add(stop);
  void stop.finally(() => set.delete(stop));
}

/**
 * Resolves when every `fromActorq` runtime of `system` that was stopped
 * (its invoking state left, or the app stopped) has finished its graceful
 * stop in the background: handlers finished or, at `stop_timeout`, their
 * messages released back to their queues; drivers closed. Runtimes still
 * active are not waited for. Resolves at once when nothing is stopping.
 *
 * @example
 * ```ts
 * app.stop()
 * const reports = await actorqDrained(app.system)
 * ```
 */
export async function actorqDrained(system: AnyActorSystem): Promise<ActorqStopReport[]> {
  const set = drains.get(system);
  return set && set.size > 0 ? Promise.all([...set]) : [];
}

/**
 * Whether a stop is under way in `system`. A new runtime there waits for
 * it, because its actors would take the same system IDs.
 * @internal
 */
export function drainsUnderway(system: AnyActorSystem): Promise<unknown> | undefined {
  const set = drains.get(system);
  return set && set.size > 0 ? Promise.allSettled([...set]) : undefined;
}

/** The fields of an XState actor this module reads beyond the public ones. */
interface ActorInternals {
  readonly _parent?: AnyActorRef;
  _stop?(): void;
}

/**
 * Stops actors of `system` that descend from `root` and outlived it: actors
 * made with `root`'s descendants as `parent` without being their children
 * (a driver's connection actor), which XState does not stop with them.
 * Each still holds its system ID; a later runtime in the same system needs
 * those IDs.
 * @internal
 */
export function stopLeftovers(system: AnyActorSystem, root: AnyActorRef): void {
  for (const actor of Object.values(system.getAll() as Record<string, AnyActorRef>)) {
    if (actor === root || !descendsFrom(actor, root)) continue;
    // A non-root actor has no public stop; this is what stopping it as a child does.
    (actor as unknown as ActorInternals)._stop?.();
  }
}

function descendsFrom(actor: AnyActorRef, root: AnyActorRef): boolean {
  for (let a = (actor as unknown as ActorInternals)._parent; a; a = (a as unknown as ActorInternals)._parent) if (a === root) return true;
  return false;
}
