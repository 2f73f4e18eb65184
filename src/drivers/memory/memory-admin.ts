import type { Message } from '../../message/message.ts';
import type { QueueAdmin, RemoveEachResult, StoredEntry, VisitOutcome } from '../queue-admin.ts';
import type { MemoryDriver } from './memory-driver.ts';
import type { MemoryQueue } from './memory-queue.ts';

/**
 * Operator tools of the memory driver. Reads are browses of the ready
 * list (nothing changes); removals take a message out of the ready list by
 * identity, so a message a consumer took meanwhile is simply not there
 * any more (`gone`). Every stored message is an actorq message here: the
 * memory driver stores only what `publish` checked.
 */
export function memoryAdmin(driver: MemoryDriver): QueueAdmin {
  return {
    peekMode: 'browse',

    async peek(queueName, limit) {
      const queue = driver.queueOrThrow(queueName);
      const out: StoredEntry[] = [];
      if (limit <= 0) return out;
      for (const message of queue.ready) {
        out.push({ kind: 'message', message });
        if (out.length >= limit) break;
      }
      return out;
    },

    async purge(queueName) {
      const queue = driver.queueOrThrow(queueName);
      const purged = queue.ready.length;
      queue.ready.take(purged);
      // The pump lets waiting publishers in now that there is room.
      if (purged > 0) driver.schedulePump(queue);
      return purged;
    },

    async removeEach(queueName, maxVisits, visit) {
      const queue = driver.queueOrThrow(queueName);
      // The walk is over what is ready now; messages published meanwhile are not visited.
      const seen: Message[] = [];
      for (const message of queue.ready) {
        if (seen.length >= maxVisits) break;
        seen.push(message);
      }
      let visited = 0;
      let removed = 0;
      let gone = 0;
      for (const message of seen) {
        visited++;
        const outcome: VisitOutcome = await visit({ kind: 'message', message });
        if (outcome === 'stop') break;
        if (outcome !== 'remove') continue;
        if (removeMessage(queue, message)) removed++;
        else gone++;
      }
      if (removed > 0) driver.schedulePump(queue);
      return { visited, removed, gone } satisfies RemoveEachResult;
    },
  };
}

/** Takes `message` (by identity) out of the ready list; false when it is no longer there. */
function removeMessage(queue: MemoryQueue, message: Message): boolean {
  // An operator's tool on a bounded list: one pass and a rebuild is simple and fine.
  const all = queue.ready.take(queue.ready.length);
  const at = all.indexOf(message);
  if (at >= 0) all.splice(at, 1);
  queue.ready.pushAll(all);
  return at >= 0;
}
