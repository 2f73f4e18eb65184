import type { ConsumerEntry, DriverEntry, Entry, FunctionEntry, QueueEntry } from './entry-types.ts';

/** Kind of queue declarations. */
export const QUEUE_KIND = 'queue.queue';
/** Kind of consumers. */
export const CONSUMER_KIND = 'queue.consumer';
/** Every driver kind starts with this (`queue.driver.memory`, ...). */
export const DRIVER_KIND_PREFIX = 'queue.driver.';
/** Every function kind starts with this (`function.js`, ...). */
export const FUNCTION_KIND_PREFIX = 'function.';

/**
 * A validated configuration: every entry, keyed by ID, in file order (files
 * in load order, entries in the order written), which later steps use as a
 * deterministic tie-break.
 *
 * @example
 * ```ts
 * const registry = await loadConfig(['config/'])
 * for (const entry of registry.entries.values()) if (isConsumerEntry(entry)) console.log(entry.id)
 * ```
 */
export interface Registry {
  /** Entries by `namespace:name`, in file order. */
  readonly entries: ReadonlyMap<string, Entry>;
  /** Absolute paths of the files read, in load order (`<inline>` for text). */
  readonly files: readonly string[];
}

/**
 * Whether `e` is a `queue.driver.*` entry.
 *
 * @example
 * ```ts
 * const drivers = [...registry.entries.values()].filter(isDriverEntry)
 * ```
 */
export function isDriverEntry(e: Entry): e is DriverEntry {
  return e.kind.startsWith(DRIVER_KIND_PREFIX);
}

/**
 * Whether `e` is a `queue.queue` entry.
 *
 * @example
 * ```ts
 * if (isQueueEntry(e)) console.log(e.queue_name)
 * ```
 */
export function isQueueEntry(e: Entry): e is QueueEntry {
  return e.kind === QUEUE_KIND;
}

/**
 * Whether `e` is a `queue.consumer` entry.
 *
 * @example
 * ```ts
 * if (isConsumerEntry(e)) console.log(e.concurrency)
 * ```
 */
export function isConsumerEntry(e: Entry): e is ConsumerEntry {
  return e.kind === CONSUMER_KIND;
}

/**
 * Whether `e` is a `function.*` entry.
 *
 * @example
 * ```ts
 * if (isFunctionEntry(e)) console.log(e.base_dir)
 * ```
 */
export function isFunctionEntry(e: Entry): e is FunctionEntry {
  return e.kind.startsWith(FUNCTION_KIND_PREFIX);
}
