import type { Entry } from './entry-types.ts';
import { isConsumerEntry, isQueueEntry } from './registry.ts';

/** What kind of entry a reference must point at. */
export type ReferenceTarget = 'driver' | 'queue' | 'function' | 'entry';

/**
 * One reference from an entry to another, by registry ID. Every reference
 * is also a dependency edge: the referencing entry starts after its target.
 */
export interface EntryReference {
  /** Registry ID referred to. */
  readonly to: string;
  /** Field path inside the entry, e.g. `['dead_letter', 'queue']`. */
  readonly path: readonly (string | number)[];
  readonly target: ReferenceTarget;
}

/**
 * Every reference an entry makes, in a fixed order: its own fields first
 * (consumer: queue, func; queue: driver, dead_letter.queue), then
 * `lifecycle.requires` (which already includes `depends_on`).
 *
 * @example
 * ```ts
 * referencesOf(consumer).map((r) => r.to) // ['app:tasks', 'app:handler', ...requires]
 * ```
 */
export function referencesOf(entry: Entry): EntryReference[] {
  const refs: EntryReference[] = [];
  if (isConsumerEntry(entry)) {
    refs.push({ to: entry.queue, path: ['queue'], target: 'queue' });
    refs.push({ to: entry.func, path: ['func'], target: 'function' });
  } else if (isQueueEntry(entry)) {
    refs.push({ to: entry.driver, path: ['driver'], target: 'driver' });
    if (entry.dead_letter) refs.push({ to: entry.dead_letter.queue, path: ['dead_letter', 'queue'], target: 'queue' });
  }
  // Function entries carry no lifecycle: they are loaded, not supervised.
  const lifecycle = 'lifecycle' in entry ? entry.lifecycle : undefined;
  lifecycle?.requires.forEach((to, i) => refs.push({ to, path: ['lifecycle', 'requires', i], target: 'entry' }));
  return refs;
}
