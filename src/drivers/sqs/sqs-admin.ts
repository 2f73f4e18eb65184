import type { QueueAdmin, RemoveEachResult, StoredEntry, VisitOutcome } from '../queue-admin.ts';
import { withWalk, type HeldMessage, type SqsAdminHost, type WalkTuning } from './sqs-admin-walk.ts';

export type { SqsAdminHost } from './sqs-admin-walk.ts';

/** How the admin tools receive, and how long a purge keeps going. @internal */
export interface SqsAdminTuning extends WalkTuning {
  /**
   * A purge stops at a message SQS stamped (`SentTimestamp`) more than this
   * after the purge began: publishes keep arriving faster than it deletes.
   * The margin absorbs the difference between SQS's clock and this one.
   */
  readonly purgeSkewMs: number;
}

/** The driver's settings: messages held 30 s at a time (renewed while held), 1 s long polls. @internal */
export const SQS_ADMIN_TUNING: SqsAdminTuning = { visibilitySeconds: 30, waitSeconds: 1, purgeSkewMs: 60_000 };

/**
 * Operator tools of the SQS driver. SQS has no way to read a message
 * without receiving it, so every tool receives (`ReceiveMessage` with a
 * 30 s visibility timeout, renewed while the tool still holds the
 * message) and holds what it read until it deletes it or hands it back
 * with `ChangeMessageVisibility` 0 (see `sqs-admin-walk.ts`). Only ready
 * messages are ever received: messages a consumer holds (in flight) and
 * delayed ones (`DelaySeconds`, a retry delay, a step of a long delay)
 * are invisible to SQS receives, so they are neither read, purged nor
 * taken. A message still on its way through a delay longer than 15
 * minutes that happens to be visible is sent on for the rest of its
 * delay, as a consumer would, and not shown.
 *
 * `peek` is `take-and-return`, with these costs:
 * - Order: a standard queue keeps none, and a message handed back may
 *   come out of a later receive anywhere (emulators append it at the
 *   tail): after a partial peek the queue's order is not what it was.
 * - Receive counts: each peek raises the `ApproximateReceiveCount` of
 *   every message it read by one. actorq counts a message's attempts by
 *   that count, so each peek of a message uses up one of its
 *   `dead_letter.max_attempts`, and the peek shows `attempts` including
 *   earlier peeks. A redrive policy on the queue (`maxReceiveCount`)
 *   counts peeks as receives too: SQS may move a message to its
 *   dead-letter queue on the peek's own receive, or sooner after it.
 * - While a peek holds messages (from its first receive to its hand-back,
 *   at least one 1 s long poll) no consumer gets them.
 * - FIFO: SQS returns no more of a message group while one of its
 *   messages is received, so a peek sees at most one receive's worth of
 *   each group (the emulator fauxqs: one message per group).
 *
 * `purge` does not use SQS's `PurgeQueue`: that also deletes messages in
 * flight (and delayed ones), may take up to 60 s, and is allowed once per
 * 60 s per queue. It receives ready messages and deletes them with
 * `DeleteMessageBatch` until a long poll finds none, so it costs a
 * receive and a delete call per 10 messages. Messages published while it
 * runs may be purged too; a message SQS stamped more than a minute after
 * the purge began ends it (handed back, not counted), so a publisher
 * faster than the purge cannot keep it going.
 *
 * `removeEach` receives, visits, and deletes a message (`DeleteMessage`)
 * only after its visit resolved `'remove'`. Kept messages, the one a
 * visit rejected, and messages received but not yet visited when the walk
 * stops are held until the walk ends and then handed back (which counts
 * as a receive, as for peek). No consumer can take a held message, so
 * nothing is `gone`; if the process dies mid-walk, what it held becomes
 * visible again within 30 s. On a FIFO queue a kept message holds back
 * the rest of its group for the rest of the walk.
 */
export function sqsAdmin(host: SqsAdminHost, tuning: SqsAdminTuning = SQS_ADMIN_TUNING): QueueAdmin {
  return {
    peekMode: 'take-and-return',
    peekEffect: "handed back at once; SQS may deliver them in another order, and each one's receive count rose by one (it counts against dead_letter.max_attempts and a redrive policy)",

    async peek(queueName, limit) {
      const queue = host.queues.require(queueName);
      if (limit <= 0) return [];
      return withWalk(host, queue, tuning, async (walk) => {
        const out: StoredEntry[] = [];
        while (out.length < limit) {
          const { held, received } = await walk.next(limit - out.length);
          if (received === 0) break;
          for (const m of held) out.push(m.entry);
        }
        return out;
      });
    },

    async purge(queueName) {
      const queue = host.queues.require(queueName);
      const newerThan = Date.now() + tuning.purgeSkewMs;
      return withWalk(host, queue, tuning, async (walk) => {
        let purged = 0;
        for (;;) {
          const { held, received } = await walk.next(10);
          if (received === 0) return purged;
          const stop = held.findIndex((m) => m.sentAt > newerThan);
          // Messages from the newer one on stay held: handed back when the walk ends.
          const old: HeldMessage[] = stop < 0 ? held : held.slice(0, stop);
          purged += await walk.removeAll(old, purged);
          if (stop >= 0) return purged;
        }
      });
    },

    async removeEach(queueName, maxVisits, visit) {
      const queue = host.queues.require(queueName);
      return withWalk(host, queue, tuning, async (walk): Promise<RemoveEachResult> => {
        let visited = 0;
        let removed = 0;
        for (;;) {
          if (visited >= maxVisits) break;
          const { held, received } = await walk.next(maxVisits - visited);
          if (received === 0) break;
          for (const m of held) {
            visited++;
            // A rejection propagates; the walk's end hands this message and the rest back.
            const outcome: VisitOutcome = await visit(m.entry);
            if (outcome === 'stop') return { visited, removed, gone: 0 };
            if (outcome === 'remove') {
              await walk.remove(m);
              removed++;
            }
          }
        }
        return { visited, removed, gone: 0 };
      });
    },
  };
}
