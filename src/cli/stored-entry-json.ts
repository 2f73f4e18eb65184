import type { StoredEntry } from '../drivers/queue-admin.ts';

/**
 * One stored entry as one JSON line: `{"id","headers","body"}` for a
 * message (what a consumer would get), `{"undecodable","preview"}` for
 * something another program stored.
 */
export function storedEntryLine(entry: StoredEntry): string {
  if (entry.kind === 'undecodable') return JSON.stringify({ undecodable: entry.reason, preview: entry.preview });
  const { id, headers, body } = entry.message;
  return JSON.stringify({ id, headers, body });
}
