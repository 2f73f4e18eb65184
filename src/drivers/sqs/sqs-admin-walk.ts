import { DeleteMessageBatchCommand, DeleteMessageCommand, ReceiveMessageCommand, type Message as SqsMessage } from '@aws-sdk/client-sqs';
import { DriverUnavailableError } from '../../errors/lifecycle-errors.ts';
import type { Logger } from '../../util/logger.ts';
import { previewOf, type StoredEntry } from '../queue-admin.ts';
import type { SqsSend } from './sqs-connection.ts';
import type { SqsQueue, SqsQueues } from './sqs-queues.ts';
import { SqsDelivery } from './sqs-delivery.ts';
import { decodeReceived, UndecodableMessage } from './sqs-codec.ts';
import { SettleBatcher, SQS_BATCH_LIMIT } from './sqs-batcher.ts';
import { changeVisibility, deleteMessages, type SettleHost } from './sqs-settle-calls.ts';
import { VisibilityHeartbeat } from './sqs-heartbeat.ts';
import { hopCopy } from './sqs-moves.ts';

/** What the admin tools need from the SQS driver. @internal */
export interface SqsAdminHost {
  readonly driverId: string;
  readonly logger: Logger;
  readonly queues: SqsQueues;
  /**
   * One call, waiting a while (`publish_timeout`) for an endpoint that
   * does not answer; a queue missing on SQS rejects with NotFoundError
   * naming `queueName`.
   */
  call<T>(op: (send: SqsSend) => Promise<T>, queueName: string): Promise<T>;
}

/** How an admin walk receives. @internal */
export interface WalkTuning {
  /** `VisibilityTimeout` of the admin's receives; a heartbeat renews it while a walk holds the messages. */
  readonly visibilitySeconds: number;
  /** `WaitTimeSeconds`: a long poll, so that an empty answer means an empty queue (a short poll samples only some servers). */
  readonly waitSeconds: number;
}

/** A received message a walk holds, as the operator sees it. @internal */
export interface HeldMessage {
  readonly delivery: SqsDelivery;
  readonly entry: StoredEntry;
  /** `SentTimestamp` (Unix ms, SQS's clock), 0 when SQS gave none. */
  readonly sentAt: number;
}

/**
 * One admin walk over an SQS queue's ready messages. SQS can only read a
 * message by receiving it, so the walk receives and holds what it reads
 * (hidden from consumers, kept hidden by a heartbeat) until it removes it
 * or the walk ends; at the end every message still held goes back with
 * visibility 0, in the order received (reversed on a FIFO queue, where
 * servers put a returned message back at the head of its group).
 *
 * Holding is what keeps a walk finite and free of repeats: a message
 * handed back at once would be received again by the same walk.
 *
 * A message on its way through a delay longer than 15 minutes (its
 * `actorq.due` still ahead) is delayed, not ready: the walk sends it on
 * for the rest of its delay, as a consumer would, and never shows it.
 * @internal
 */
export class AdminWalk {
  readonly #host: SqsAdminHost;
  readonly #queue: SqsQueue;
  readonly #tuning: WalkTuning;
  readonly #settleHost: SettleHost;
  /** Held messages in the order received (a Set keeps insertion order). */
  readonly #held = new Set<SqsDelivery>();
  readonly #heartbeat: VisibilityHeartbeat;
  readonly #deletes: SettleBatcher<string>;

  constructor(host: SqsAdminHost, queue: SqsQueue, tuning: WalkTuning) {
    this.#host = host;
    this.#queue = queue;
    this.#tuning = tuning;
    this.#settleHost = { driverId: host.driverId, logger: host.logger, settle: (op) => host.call(op, queue.name) };
    this.#deletes = new SettleBatcher((handles) => deleteMessages(this.#settleHost, queue.url, queue.name, handles));
    this.#heartbeat = new VisibilityHeartbeat(
      this.#held,
      tuning.visibilitySeconds,
      (items) => changeVisibility(this.#settleHost, queue.url, queue.name, items),
      host.logger,
      { driver: host.driverId, queue: queue.name, by: 'admin' },
    );
  }

  /**
   * Receives up to `max` (at most 10) more ready messages and holds them;
   * an empty array when the queue has no more (after one long poll).
   * Long-delayed messages received are sent on and not returned, so a
   * non-empty receive can still give an empty array: call again.
   */
  async next(max: number): Promise<{ readonly held: HeldMessage[]; readonly received: number }> {
    const q = this.#queue;
    const r = await this.#host.call(
      (send) =>
        send(
          new ReceiveMessageCommand({
            QueueUrl: q.url,
            MaxNumberOfMessages: Math.max(1, Math.min(max, SQS_BATCH_LIMIT)),
            WaitTimeSeconds: this.#tuning.waitSeconds,
            VisibilityTimeout: this.#tuning.visibilitySeconds,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId', 'MessageDeduplicationId', 'SentTimestamp'],
          }),
        ),
      q.name,
    );
    const messages = r.Messages ?? [];
    const receivedAt = Date.now();
    const visibleUntil = receivedAt + this.#tuning.visibilitySeconds * 1000;
    const held: HeldMessage[] = [];
    const hops: Promise<void>[] = [];
    for (const m of messages) {
      const decoded = decodeReceived(m, receivedAt, this.#tuning.visibilitySeconds * 1000);
      if (decoded instanceof UndecodableMessage) {
        const d = new SqsDelivery(decoded.id, undefined, decoded.headers, m, receivedAt, visibleUntil);
        this.#held.add(d);
        held.push({ delivery: d, entry: { kind: 'undecodable', reason: decoded.reason, preview: previewOf(m.Body ?? '') }, sentAt: sentAt(m) });
      } else {
        this.#held.add(decoded);
        if (decoded.due > receivedAt && !q.fifo) hops.push(this.#sendOn(decoded));
        else held.push({ delivery: decoded, entry: { kind: 'message', message: { id: decoded.id, body: decoded.body, headers: decoded.headers } }, sentAt: sentAt(m) });
      }
    }
    if (this.#held.size > 0) this.#heartbeat.start();
    await Promise.all(hops);
    return { held, received: messages.length };
  }

  /** Deletes one held message (`DeleteMessage`); it is no longer held. */
  async remove(m: HeldMessage): Promise<void> {
    const q = this.#queue;
    await this.#host.call((send) => send(new DeleteMessageCommand({ QueueUrl: q.url, ReceiptHandle: m.delivery.receipt })), q.name);
    this.#held.delete(m.delivery);
  }

  /**
   * Deletes held messages, 10 per `DeleteMessageBatch`. Rejects, naming
   * how many were deleted before, when SQS fails an entry: that message
   * stays held and goes back at the end of the walk.
   */
  async removeAll(ms: readonly HeldMessage[], before: number): Promise<number> {
    const q = this.#queue;
    let deleted = 0;
    for (let start = 0; start < ms.length; start += SQS_BATCH_LIMIT) {
      const batch = ms.slice(start, start + SQS_BATCH_LIMIT);
      const entries = batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.delivery.receipt }));
      const r = await this.#host.call((send) => send(new DeleteMessageBatchCommand({ QueueUrl: q.url, Entries: entries })), q.name);
      for (const ok of r.Successful ?? []) {
        const m = batch[Number(ok.Id)];
        if (m) this.#held.delete(m.delivery);
        deleted++;
      }
      const failed = r.Failed ?? [];
      if (failed.length > 0) {
        const why = failed.map((f) => `${f.Code}: ${f.Message}`).join('; ');
        throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.#host.driverId}: purge of ${q.name} stopped after ${before + deleted} message(s): SQS failed ${failed.length} delete(s): ${why}`);
      }
    }
    return deleted;
  }

  /**
   * Ends the walk: every message still held goes back (visibility 0).
   * Never rejects: a message that could not be handed back becomes visible
   * by itself once its visibility timeout runs out (logged).
   */
  async end(): Promise<void> {
    this.#heartbeat.stop();
    const back = [...this.#held];
    this.#held.clear();
    if (this.#queue.fifo) back.reverse();
    const q = this.#queue;
    try {
      // One batch after the other: a server that appends returned messages keeps them in this order.
      for (let start = 0; start < back.length; start += SQS_BATCH_LIMIT) {
        const items = back.slice(start, start + SQS_BATCH_LIMIT).map((d) => ({ handle: d.receipt, seconds: 0 }));
        await changeVisibility(this.#settleHost, q.url, q.name, items);
      }
    } catch (e) {
      this.#host.logger.warn(`sqs: messages peeked at or kept on ${q.name} could not be handed back; they come back after ${this.#tuning.visibilitySeconds}s`, {
        driver: this.#host.driverId,
        queue: q.name,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** Sends a long-delayed message on for the rest of its delay; if that fails, it stays held and goes back at the end. */
  async #sendOn(d: SqsDelivery): Promise<void> {
    try {
      await hopCopy(this.#settleHost, this.#queue, d, this.#deletes);
      this.#held.delete(d);
    } catch (e) {
      this.#host.logger.warn(`sqs: a delayed message on ${this.#queue.name} could not be sent on by an admin walk; handed back`, {
        driver: this.#host.driverId,
        queue: this.#queue.name,
        message_id: d.id,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
}

/** Runs `use` on a fresh walk over `queue` and ends the walk whatever happens. @internal */
export async function withWalk<T>(host: SqsAdminHost, queue: SqsQueue, tuning: WalkTuning, use: (walk: AdminWalk) => Promise<T>): Promise<T> {
  const walk = new AdminWalk(host, queue, tuning);
  try {
    return await use(walk);
  } finally {
    await walk.end();
  }
}

function sentAt(m: SqsMessage): number {
  const t = Number(m.Attributes?.SentTimestamp);
  return Number.isFinite(t) ? t : 0;
}
