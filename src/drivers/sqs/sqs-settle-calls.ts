import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  type BatchResultErrorEntry,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { PublishRejectedError } from '../../errors/lifecycle-errors.ts';
import type { Logger } from '../../util/logger.ts';
import type { SqsSend } from './sqs-connection.ts';
import { SQS_BATCH_LIMIT } from './sqs-batcher.ts';

/** What the batch calls need from the driver. @internal */
export interface SettleHost {
  readonly driverId: string;
  readonly logger: Logger;
  /**
   * Runs `op` until it gets an answer: a call that fails for want of one is
   * tried again once the endpoint answers probes; DRIVER_STOPPED once the
   * driver stops; any other error is rethrown.
   */
  settle<T>(op: (send: SqsSend) => Promise<T>): Promise<T>;
}

/** Pause before sending again the entries of a batch SQS failed on its side. */
const ENTRY_RETRY_MS = 200;
/** Tries of an entry SQS keeps failing on its side before giving up on it. */
const ENTRY_TRIES = 5;

/**
 * Deletes received messages (acks), 10 per call. An entry SQS refuses as
 * the caller's fault (a receipt handle that expired: the message has
 * become visible again and will be delivered again) is logged and
 * skipped: at-least-once. @internal
 */
export function deleteMessages(host: SettleHost, queueUrl: string, queueName: string, handles: readonly string[]): Promise<void> {
  const entries = handles.map((h) => ({ Id: '', ReceiptHandle: h }));
  return inBatches(host, queueName, 'delete', entries, (e) => host.settle((send) => send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: e }))));
}

/**
 * Sets the visibility timeout of received messages, 10 per call: 0 gives
 * a message back, more hides it longer (a retry delay, a heartbeat). A
 * receipt no longer in flight is skipped: the message is visible already.
 * @internal
 */
export function changeVisibility(host: SettleHost, queueUrl: string, queueName: string, items: readonly { readonly handle: string; readonly seconds: number }[]): Promise<void> {
  const entries = items.map((x) => ({ Id: '', ReceiptHandle: x.handle, VisibilityTimeout: x.seconds }));
  return inBatches(host, queueName, 'visibility change', entries, (e) =>
    host.settle((send) => send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: e }))),
  );
}

/**
 * Sends copies actorq makes (requeues, dead-letters, releases, delay
 * steps, set-asides), 10 per call; resolves once SQS stored every one.
 * Rejects with PublishRejectedError naming the copies SQS refused (or kept
 * failing): the caller then leaves the originals where they are.
 * @internal
 */
export function sendCopies(host: SettleHost, queueUrl: string, queueName: string, entries: readonly SendMessageBatchRequestEntry[]): Promise<void> {
  return inBatches(
    host,
    queueName,
    'copy',
    entries.map((e) => ({ ...e, Id: '' })),
    (e) => host.settle((send) => send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: e }))),
    true,
  );
}

/**
 * Sends `entries` in batches of 10 (concurrently), each batch again for
 * the entries SQS failed on its side, up to {@link ENTRY_TRIES}. Entries
 * refused as the caller's fault are skipped, or with `strict` fail the
 * call (as do entries still failing at the last try).
 */
async function inBatches<E extends { Id: string }>(
  host: SettleHost,
  queueName: string,
  what: string,
  entries: E[],
  call: (batch: E[]) => Promise<{ Failed?: BatchResultErrorEntry[] }>,
  strict = false,
): Promise<void> {
  const batches: Promise<void>[] = [];
  for (let start = 0; start < entries.length; start += SQS_BATCH_LIMIT) {
    const batch = entries.slice(start, start + SQS_BATCH_LIMIT);
    batch.forEach((e, i) => (e.Id = String(i)));
    batches.push(sendBatch(host, queueName, what, batch, call, strict));
  }
  await Promise.all(batches);
}

async function sendBatch<E extends { Id: string }>(
  host: SettleHost,
  queueName: string,
  what: string,
  batch: E[],
  call: (batch: E[]) => Promise<{ Failed?: BatchResultErrorEntry[] }>,
  strict: boolean,
): Promise<void> {
  let pending = batch;
  for (let tries = 1; ; tries++) {
    const failed = (await call(pending)).Failed ?? [];
    if (failed.length === 0) return;
    const byId = new Map(pending.map((e) => [e.Id, e]));
    const refused = failed.filter((f) => f.SenderFault);
    if (refused.length > 0) {
      const why = refused.map((f) => `${f.Code}: ${f.Message}`).join('; ');
      if (strict) throw new PublishRejectedError(`driver ${host.driverId}: SQS refused ${refused.length} ${what}(s) to ${queueName}: ${why}`);
      host.logger.debug(`sqs ${what} skipped`, { driver: host.driverId, queue: queueName, reason: why });
    }
    pending = failed.filter((f) => !f.SenderFault).flatMap((f) => byId.get(f.Id ?? '') ?? []);
    if (pending.length === 0) return;
    if (tries >= ENTRY_TRIES) {
      const message = `driver ${host.driverId}: SQS failed ${pending.length} ${what}(s) on ${queueName} ${tries} times`;
      if (strict) throw new PublishRejectedError(message);
      host.logger.error(`${message}; given up`, { driver: host.driverId, queue: queueName });
      return;
    }
    await new Promise((r) => setTimeout(r, ENTRY_RETRY_MS));
  }
}
