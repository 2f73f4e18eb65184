import { SendMessageBatchCommand, SendMessageCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { Message } from '../../message/message.ts';
import { InvalidMessageError } from '../../errors/message-errors.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { AbortedError, DriverUnavailableError, PublishRejectedError } from '../../errors/lifecycle-errors.ts';
import { ActorqError } from '../../errors/actorq-error.ts';
import { MAX_DELAY_MS } from '../../message/delay.ts';
import type { SqsConnection } from './sqs-connection.ts';
import type { SqsQueue } from './sqs-queues.ts';
import { encodePublish, MAX_DELAY_SECONDS } from './sqs-codec.ts';
import { SQS_BATCH_LIMIT } from './sqs-batcher.ts';
import { isQueueMissing, isTransient } from './sqs-errors.ts';

/** What a publish needs from the driver. @internal */
export interface PublishHost {
  readonly driverId: string;
  readonly connection: SqsConnection;
  /** `publish_timeout`: how long to wait for an unreachable endpoint. */
  readonly publishTimeout: number;
}

/** Tries of entries SQS fails on its side (not the caller's fault) before the publish gives up on them. */
const ENTRY_TRIES = 5;
/**
 * Most bytes of one `SendMessageBatch`: SQS's payload limit (256 KiB on
 * queues made before it was raised to 1 MiB, and on other servers).
 */
const MAX_BATCH_BYTES = 256 * 1024;
/** Pause before sending such entries again. */
const ENTRY_RETRY_MS = 200;

/**
 * A delay in whole ms, checked: the longest a driver accepts is
 * {@link MAX_DELAY_MS}; anything else is refused before any message goes
 * out. @internal
 */
export function checkedDelay(delayMs: number | undefined, where: string): number {
  if (delayMs === undefined || delayMs === 0) return 0;
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
    throw new InvalidMessageError(`${where}: delay must be 0 to ${MAX_DELAY_MS} ms, got ${String(delayMs)}`);
  }
  return Math.ceil(delayMs);
}

/**
 * How a delay goes to SQS: up to 15 minutes as `DelaySeconds` (rounded up
 * to whole seconds: never early); longer as 15 minutes plus the due time in
 * `actorq.due`, from where each receive before it is due sends the message
 * on for the rest (see `docs/sqs-driver.md`). @internal
 */
export function delayPlan(delayMs: number, now = Date.now()): { seconds: number; due?: number } {
  if (delayMs <= 0) return { seconds: 0 };
  const seconds = Math.ceil(delayMs / 1000);
  return seconds <= MAX_DELAY_SECONDS ? { seconds } : { seconds: MAX_DELAY_SECONDS, due: now + delayMs };
}

/**
 * Publishes to an SQS queue: `SendMessage` for one message,
 * `SendMessageBatch` in chunks of 10 (and at most 256 KiB) otherwise,
 * chunk after chunk so the order is kept. Every message is encoded (and may be refused) before
 * anything is sent. A chunk lost for want of an answer is sent again once
 * the endpoint answers (within `publish_timeout`), so a message may be
 * stored twice but never lost; of a partly failed batch only the failed
 * entries go again, and the error names exactly the messages SQS refused.
 * Messages stored before a failure stay stored.
 */
export async function publishToSqs(host: PublishHost, queue: SqsQueue, messages: readonly Message[], delayMs: number, signal: AbortSignal | undefined, dedupeKey?: string): Promise<void> {
  const where = `publish to ${queue.name}`;
  if (dedupeKey !== undefined && messages.length > 1) throw new InvalidMessageError(`${where}: a dedupeKey is for one message, got ${messages.length}`);
  const plan = delayPlan(checkedDelay(delayMs, where));
  const entries = messages.map((m, i) => encodePublish(m, i, queue, plan.seconds, plan.due, dedupeKey));
  let after = entries.length;
  for (const chunk of chunks(entries)) {
    after -= chunk.length;
    await sendChunk(host, queue, chunk, messages, signal, after);
  }
}

/**
 * Consecutive chunks of at most 10 entries and {@link MAX_BATCH_BYTES}
 * (a larger message goes alone: SQS judges it).
 */
function* chunks(entries: SendMessageBatchRequestEntry[]): Generator<SendMessageBatchRequestEntry[]> {
  let chunk: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = entrySize(e);
    if (chunk.length > 0 && (chunk.length === SQS_BATCH_LIMIT || bytes + size > MAX_BATCH_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(e);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/** A message's size as SQS counts it: body, and each attribute's name, type and value. */
function entrySize(e: SendMessageBatchRequestEntry): number {
  let n = Buffer.byteLength(e.MessageBody ?? '');
  const attributes = e.MessageAttributes;
  for (const key in attributes) {
    const a = attributes[key]!;
    n += Buffer.byteLength(key) + (a.DataType?.length ?? 0) + Buffer.byteLength(a.StringValue ?? '') + (a.BinaryValue?.byteLength ?? 0);
  }
  return n;
}

/**
 * Sends one chunk; a refusal names the refused messages and how many
 * after the chunk (`after`) were therefore not sent.
 */
async function sendChunk(host: PublishHost, queue: SqsQueue, chunk: SendMessageBatchRequestEntry[], messages: readonly Message[], signal: AbortSignal | undefined, after: number): Promise<void> {
  let pending = chunk;
  const refused: string[] = [];
  for (let tries = 1; ; tries++) {
    const failed = await call(host, queue, pending, signal);
    if (failed.length === 0) break;
    const byId = new Map(pending.map((e) => [e.Id!, e]));
    const again: SendMessageBatchRequestEntry[] = [];
    for (const f of failed) {
      const id = messages[Number(f.Id)]?.id ?? f.Id;
      if (f.SenderFault || tries >= ENTRY_TRIES) refused.push(`${id} (${f.Code === undefined ? '' : `${f.Code}: `}${f.Message})`);
      else again.push(byId.get(f.Id!)!);
    }
    if (again.length === 0) break;
    pending = again;
    await new Promise((r) => setTimeout(r, ENTRY_RETRY_MS));
  }
  if (refused.length > 0) {
    const unsent = after > 0 ? `; the ${after} message(s) after them were not sent` : '';
    throw new PublishRejectedError(`driver ${host.driverId}: SQS refused ${refused.length} of ${messages.length} message(s) to ${queue.name}: ${refused.join(', ')}${unsent}`);
  }
}

/**
 * One call for `entries`, again after each loss of the endpoint; returns
 * the failed entries of a batch. A lone message goes with `SendMessage`,
 * whose refusal is an error rather than a failed entry: it comes back as
 * one, so the caller names the message either way.
 */
async function call(host: PublishHost, queue: SqsQueue, entries: SendMessageBatchRequestEntry[], signal: AbortSignal | undefined) {
  const connection = host.connection;
  for (;;) {
    if (signal?.aborted) throw new AbortedError(`driver ${host.driverId}: publish to ${queue.name} aborted`, { cause: signal.reason });
    if (!connection.connected) await connection.whenUsable(host.publishTimeout, signal);
    try {
      if (entries.length === 1) {
        const { Id: _, ...one } = entries[0]!;
        await connection.send(new SendMessageCommand({ ...one, QueueUrl: queue.url }));
        return [];
      }
      const r = await connection.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: entries }));
      return r.Failed ?? [];
    } catch (e) {
      if (isQueueMissing(e)) throw new NotFoundError('queue', queue.name, `driver ${host.driverId}: not on SQS`);
      if (e instanceof ActorqError && !(e instanceof DriverUnavailableError && e.code === 'DRIVER_UNAVAILABLE')) throw e;
      if (isTransient(e) || e instanceof DriverUnavailableError) {
        // The connection machine probes meanwhile; a throttled call finds it connected still, so pause.
        if (connection.connected) await new Promise((r) => setTimeout(r, ENTRY_RETRY_MS));
        continue;
      }
      if (entries.length === 1) return [{ Id: entries[0]!.Id, SenderFault: true, Code: undefined, Message: connection.describe(e) }];
      throw new PublishRejectedError(`driver ${host.driverId}: SQS refused the publish to ${queue.name}: ${connection.describe(e)}`);
    }
  }
}
