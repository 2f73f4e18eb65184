import type { NatsSession } from './nats-connection.ts';
import { presenceSubject } from './nats-names.ts';
import { noResponders } from './nats-errors.ts';

/** How long after the last answer the count stops waiting for more. */
const STALL_MS = 50;
/** Longest a count waits in all. */
const MAX_WAIT_MS = 1_000;

/**
 * How many consumers, in every process, are attached to a queue's stream
 * now. A pull consumer has no subscription the server could count (its
 * pull requests come and go), so each active consumption answers on
 * `_actorq.consumers.<stream>` and this counts the answers: one request,
 * and the count ends {@link STALL_MS} after the last answer (at most
 * {@link MAX_WAIT_MS}). No answer at all ends at once. @internal
 */
export async function countConsumers(session: NatsSession, stream: string): Promise<number> {
  let replies: AsyncIterable<unknown>;
  try {
    replies = await session.nc.requestMany(presenceSubject(stream), undefined, { strategy: 'stall', stall: STALL_MS, maxWait: MAX_WAIT_MS });
  } catch (e) {
    if (noResponders(e)) return 0;
    throw e;
  }
  let n = 0;
  try {
    for await (const _ of replies) n++;
  } catch (e) {
    if (!noResponders(e)) throw e;
  }
  return n;
}
