import { NotFoundError } from '../../errors/not-found-error.ts';
import { previewOf, type QueueAdmin, type StoredEntry, type VisitOutcome } from '../queue-admin.ts';
import { decodeEntry } from './redis-codec.ts';
import type { RedisDriver } from './redis-driver.ts';

/** Entries read per round trip while walking a queue. */
const PAGE = 100;

/** KEYS meta, ready; ARGV count. The first `count` ready entries, or `false` (nil) if the queue is not declared. */
const PEEK = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('LRANGE', KEYS[2], ARGV[1], ARGV[2])
`;

/**
 * KEYS meta, ready; ARGV room-channel. Deletes the ready list and returns
 * how many entries it held (-1 if the queue is not declared); publishers
 * waiting for room hear of it on the room channel.
 */
const PURGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = redis.call('LLEN', KEYS[2])
if n > 0 then
  redis.call('DEL', KEYS[2])
  redis.call('PUBLISH', ARGV[1], '')
end
return n
`;

/** KEYS ready; ARGV entry, room-channel. Removes the first occurrence of exactly `entry`; 1 if it was there. */
const REMOVE = `
local n = redis.call('LREM', KEYS[1], 1, ARGV[1])
if n > 0 then redis.call('PUBLISH', ARGV[2], '') end
return n
`;

/**
 * Operator tools of the Redis driver, on the queue's `ready` list: peek is
 * an `LRANGE` (a browse: nothing changes), purge deletes the list, and a
 * removal is an `LREM` of the exact stored entry, so one a consumer
 * fetched meanwhile is simply not found (`gone`). Delayed messages (the
 * `delayed` set, even those already due) and what consumers hold are not
 * touched. Entries another program stored are shown as `undecodable`, with
 * the decoder's reason.
 */
export function redisAdmin(driver: RedisDriver): QueueAdmin {
  const range = async (queueName: string, start: number, stop: number): Promise<string[]> => {
    await driver.whenUsable();
    const k = driver.keysOf(queueName);
    const entries = (await driver.connection.cmd.eval(PEEK, 2, k.meta, k.ready, start, stop)) as string[] | null;
    if (entries === null) throw new NotFoundError('queue', queueName, `driver ${driver.id}`);
    return entries;
  };

  return {
    peekMode: 'browse',

    async peek(queueName, limit) {
      // An empty range (start past stop) still checks that the queue exists.
      return (await range(queueName, limit > 0 ? 0 : 1, limit > 0 ? limit - 1 : 0)).map(storedEntry);
    },

    async purge(queueName) {
      await driver.whenUsable();
      const k = driver.keysOf(queueName);
      const purged = (await driver.connection.cmd.eval(PURGE, 2, k.meta, k.ready, k.room)) as number;
      if (purged < 0) throw new NotFoundError('queue', queueName, `driver ${driver.id}`);
      return purged;
    },

    async removeEach(queueName, maxVisits, visit) {
      const k = driver.keysOf(queueName);
      // Kept entries stay at the head; the next page starts after them.
      let offset = 0;
      let visited = 0;
      let removed = 0;
      let gone = 0;
      const kept = new Set<string>();
      while (visited < maxVisits) {
        const page = await range(queueName, offset, offset + Math.min(PAGE, maxVisits - visited) - 1);
        if (page.length === 0) break;
        for (const raw of page) {
          // A kept entry can come round again when a consumer gives messages back to the head.
          if (kept.has(raw)) {
            offset++;
            continue;
          }
          visited++;
          const outcome: VisitOutcome = await visit(storedEntry(raw));
          if (outcome === 'stop') return { visited, removed, gone };
          if (outcome === 'keep') {
            kept.add(raw);
            offset++;
          } else {
            await driver.whenUsable();
            if ((await driver.connection.cmd.eval(REMOVE, 1, k.ready, raw, k.room)) === 1) removed++;
            else gone++;
          }
          if (visited >= maxVisits) break;
        }
      }
      return { visited, removed, gone };
    },
  };
}

/** A stored entry as the operator sees it (decoded as a consumer would). */
function storedEntry(raw: string): StoredEntry {
  const decoded = decodeEntry(raw, 0);
  if ('reason' in decoded) return { kind: 'undecodable', reason: decoded.reason, preview: previewOf(raw) };
  return { kind: 'message', message: { id: decoded.id, body: decoded.body, headers: decoded.headers } };
}
