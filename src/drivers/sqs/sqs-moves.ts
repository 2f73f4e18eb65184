import type { Headers } from '../../message/message.ts';
import { attemptsOf } from '../../message/attempts.ts';
import type { SettleBatcher } from './sqs-batcher.ts';
import type { SqsDelivery } from './sqs-delivery.ts';
import type { SqsQueue } from './sqs-queues.ts';
import { encodeCopy } from './sqs-codec.ts';
import { hiddenBudgetSeconds } from './sqs-heartbeat.ts';
import { delayPlan } from './sqs-publish.ts';
import { sendCopies, type SettleHost } from './sqs-settle-calls.ts';

/**
 * The settles that are more than one call: each sends a copy of the
 * message and deletes the original only once SQS stored the copy, so a
 * failure or a crash between the two leaves a duplicate at worst, never a
 * loss. A copy keeps the message's ID (`actorq.id`) and body text, and
 * records its attempts in an `attempts` attribute (SQS's receive count
 * starts again on the copy). @internal
 */

type Deletes = SettleBatcher<string>;
type Visibility = SettleBatcher<{ handle: string; seconds: number }>;

/**
 * A requeue. With the same headers and one more attempt, a visibility
 * change: the message comes back after the delay, rounded up to seconds
 * (at once for 0), and SQS's receive count is its attempt count; no copy.
 * Otherwise (new headers, or a delay longer than SQS may hide a received
 * message) a copy with those headers, delayed like a delayed publish. If
 * the copy fails, the original comes back as for the plain requeue, and
 * the error is rethrown.
 */
export async function requeueMove(
  host: SettleHost,
  queue: SqsQueue,
  d: SqsDelivery,
  headers: Headers,
  delayMs: number,
  deletes: Deletes,
  visibility: Visibility,
  sameHeaders: boolean,
): Promise<void> {
  const seconds = Math.ceil(delayMs / 1000);
  const budget = hiddenBudgetSeconds(d.receivedAt);
  if (sameHeaders && (seconds <= budget || queue.fifo)) {
    if (seconds > budget) host.logger.warn('sqs: retry delay of a FIFO message cut to what SQS allows (12 hours from its receive)', { driver: host.driverId, queue: queue.name, message_id: d.id });
    return visibility.add({ handle: d.receipt, seconds: Math.min(seconds, budget) });
  }
  // A FIFO queue has no per-message delay: the copy goes to the end of its group at once.
  const plan = queue.fifo ? { seconds: 0, due: undefined } : delayPlan(delayMs);
  const entry = encodeCopy(d.id, d.raw.Body ?? '', headers, queue, 0, { delaySeconds: plan.seconds, due: plan.due });
  try {
    await sendCopies(host, queue.url, queue.name, [entry]);
  } catch (e) {
    await visibility.add({ handle: d.receipt, seconds: Math.min(seconds, budget) }).catch(() => {});
    throw e;
  }
  await deletes.add(d.receipt);
}

/**
 * A dead-letter: a copy with `headers` (the `x_*` reason headers) to
 * `target`, then the delete. If the copy fails the original stays hidden
 * and comes back after its visibility timeout (not at once: a dead-letter
 * queue that is gone must not make the message spin), and the error is
 * rethrown.
 */
export async function deadLetterCopy(host: SettleHost, target: SqsQueue, d: SqsDelivery, headers: Headers, deletes: Deletes): Promise<void> {
  const entry = encodeCopy(d.id, d.raw.Body ?? '', headers, target, 0, { dedupId: `dl-${d.raw.MessageId ?? d.id}` });
  await sendCopies(host, target.url, target.name, [entry]);
  await deletes.add(d.receipt);
}

/**
 * One step of a delay longer than SQS's 15 minutes: the message, received
 * before its `actorq.due`, goes back with the rest of the delay (at most
 * 15 minutes again) and its attempts; it is never handed out. A failure
 * leaves it hidden: it comes back after the visibility timeout and is
 * sent on then.
 */
export async function hopCopy(host: SettleHost, queue: SqsQueue, d: SqsDelivery, deletes: Deletes): Promise<void> {
  const plan = delayPlan(d.due - Date.now());
  const entry = encodeCopy(d.id, d.raw.Body ?? '', d.headers, queue, 0, { delaySeconds: plan.seconds, due: d.due });
  await sendCopies(host, queue.url, queue.name, [entry]);
  await deletes.add(d.receipt);
}

/**
 * Gives unprocessed messages back with their attempts unchanged. On a
 * standard queue: copies (with the attempts they had), then deletes, since
 * a visibility change would count one more receive, an attempt the
 * message never had. On a FIFO queue: visibility 0, which keeps each
 * group's order (in reverse, so that servers putting each one back at
 * the head of its group end with the first first); there the release does
 * count as a receive. If the copies fail, visibility 0 as well.
 */
export async function releaseMessages(host: SettleHost, queue: SqsQueue, ds: readonly SqsDelivery[], deletes: Deletes, visibility: Visibility): Promise<void> {
  const back = () => Promise.all([...ds].reverse().map((d) => visibility.add({ handle: d.receipt, seconds: 0 })));
  if (queue.fifo) {
    await back();
    return;
  }
  const entries = ds.map((d, i) => encodeCopy(d.id, d.raw.Body ?? '', d.headers, queue, i));
  try {
    await sendCopies(host, queue.url, queue.name, entries);
  } catch (e) {
    host.logger.warn('sqs: released messages could not be copied; made visible again instead (counts one receive)', {
      driver: host.driverId,
      queue: queue.name,
      error: e instanceof Error ? e.message : String(e),
    });
    await back();
    return;
  }
  await Promise.all(ds.map((d) => deletes.add(d.receipt)));
}

/**
 * Whether `next` is `current` with exactly one more attempt and nothing
 * else changed: the consumer's plain nack, which a visibility change
 * carries without a copy.
 */
export function countsOneMore(current: Headers, next: Headers): boolean {
  if (next['attempts'] !== attemptsOf(current) + 1) return false;
  let n = 0;
  for (const key in next) {
    if (key === 'attempts') continue;
    if (next[key] !== current[key]) return false;
    n++;
  }
  for (const key in current) if (key !== 'attempts') n--;
  return n === 0;
}
