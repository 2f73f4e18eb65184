import type { Registry } from './registry.ts';
import { isConsumerEntry, isDriverEntry, isFunctionEntry, isQueueEntry } from './registry.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * One line describing a registry, for `actorq validate`. Categories with
 * no entries are left out.
 *
 * @example
 * ```ts
 * summarizeRegistry(registry) // "5 entries in 2 files: 1 driver, 2 queues, 1 consumer, 1 function"
 * ```
 */
export function summarizeRegistry(r: Registry): string {
  const entries = [...r.entries.values()];
  const counts: [number, string][] = [
    [entries.filter(isDriverEntry).length, 'driver'],
    [entries.filter(isQueueEntry).length, 'queue'],
    [entries.filter(isConsumerEntry).length, 'consumer'],
    [entries.filter(isFunctionEntry).length, 'function'],
  ];
  const parts = counts.filter(([n]) => n > 0).map(([n, w]) => plural(n, w));
  const head = `${plural(entries.length, 'entry').replace(/entrys$/, 'entries')} in ${plural(r.files.length, 'file')}`;
  return parts.length > 0 ? `${head}: ${parts.join(', ')}` : head;
}
