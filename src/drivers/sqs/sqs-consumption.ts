import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { Subject, type Observable } from 'rxjs';
import type { Consumption, Delivery } from '../driver.ts';
import type { Headers } from '../../message/message.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { DriverUnavailableError } from '../../errors/lifecycle-errors.ts';
import type { SqsConnection } from './sqs-connection.ts';
import type { SqsQueue, SqsQueues } from './sqs-queues.ts';
import { SqsDelivery } from './sqs-delivery.ts';
import { decodeReceived, UndecodableMessage } from './sqs-codec.ts';
import { SettleBatcher, SQS_BATCH_LIMIT } from './sqs-batcher.ts';
import { changeVisibility, deleteMessages, type SettleHost } from './sqs-settle-calls.ts';
import { VisibilityHeartbeat } from './sqs-heartbeat.ts';
import { isAborted, isQueueMissing, isTransient } from './sqs-errors.ts';
import { checkedDelay } from './sqs-publish.ts';
import { countsOneMore, deadLetterCopy, hopCopy, releaseMessages, requeueMove } from './sqs-moves.ts';
import { ReceiveOrder, type ReceiveSlot } from './sqs-receive-order.ts';

/** What a consumption needs from its driver. @internal */
export interface ConsumptionHost extends SettleHost {
  readonly connection: SqsConnection;
  readonly queues: SqsQueues;
  /** Sets an undecodable message aside (see `sqs-set-aside.ts`); rejects if it could not. */
  setAside(queue: SqsQueue, message: UndecodableMessage): Promise<void>;
  /** The consumption holds nothing any more and was cancelled: drop it. */
  forget(consumption: SqsConsumption): void;
}

/** A consumer's own receive settings (`driver_options.sqs` of a consumer entry), in seconds. @internal */
export interface ReceiveSettings {
  readonly visibility_timeout?: number;
  readonly wait_time?: number;
}

/** Most receive calls one consumption keeps in flight while messages keep coming. */
const MAX_RECEIVES = 5;
/** How long a finished receive waits for an earlier one still in flight before its messages go out anyway. */
const ORDER_HOLD_MS = 20;
/** Pause after an empty short-poll receive (`wait_time: 0`). */
const SHORT_POLL_PAUSE_MS = 200;
/** Pause before receiving again after a call that failed while the endpoint still answers probes (throttling). */
const RETRY_MS = 200;

/**
 * One consumer's subscription to an SQS queue.
 *
 * Receiving: long polls (`wait_time`) of `min(credit, 10)` messages each,
 * the credit reserved before the call so no more arrive than granted; up
 * to {@link MAX_RECEIVES} in flight while receives come back full, one when
 * the queue runs dry. Each message gets `visibility_timeout` on receive
 * and is kept hidden by a heartbeat while held (see `sqs-heartbeat.ts`).
 *
 * Settling: an ack is a delete, coalesced with the other acks of the same
 * event-loop turn into `DeleteMessageBatch` calls; a requeue is a
 * visibility change (0, or the retry delay), so SQS's receive count is the
 * attempt count, unless the headers changed otherwise or the delay is
 * longer than SQS can hide a message (then a copy, see `sqs-moves.ts`).
 *
 * Messages that are not actorq messages are set aside, never handed out;
 * messages still on their way through a long delay are sent on. Neither
 * takes credit.
 *
 * @internal Built by `SqsDriver.consume`.
 */
export class SqsConsumption implements Consumption {
  readonly deliveries: Observable<readonly Delivery[]>;
  readonly queue: SqsQueue;
  readonly #host: ConsumptionHost;
  readonly #subject = new Subject<readonly Delivery[]>();
  /** Received and not yet settled: handed out, being moved, or being set aside. */
  readonly #held = new Set<SqsDelivery>();
  /** Moves under way (copies, set-asides) that do not hold a handed-out delivery. */
  readonly #moving = new Set<Promise<void>>();
  readonly #receiving = new Set<Promise<void>>();
  /** Hands out what concurrent receives bring in the order they were issued. */
  readonly #order: ReceiveOrder<SqsDelivery>;
  readonly #deletes: SettleBatcher<string>;
  readonly #visibility: SettleBatcher<{ handle: string; seconds: number }>;
  readonly #heartbeat: VisibilityHeartbeat;
  readonly #visibilitySeconds: number;
  readonly #waitSeconds: number;
  readonly #visibilityMs: number;
  #abort = new AbortController();
  #active = true;
  #credit = 0;
  /** The last receive came back short: the queue is (nearly) empty, one long poll is enough. */
  #idle = true;
  #leaving: Promise<void> | undefined;

  /**
   * `receive` overrides the queue's receive settings (a consumer's own
   * `driver_options.sqs`, as Wippy reads them per consumer).
   */
  constructor(host: ConsumptionHost, queue: SqsQueue, receive: ReceiveSettings = {}) {
    this.#host = host;
    this.queue = queue;
    this.#visibilitySeconds = receive.visibility_timeout ?? queue.visibilitySeconds;
    this.#waitSeconds = receive.wait_time ?? queue.waitSeconds;
    this.#visibilityMs = this.#visibilitySeconds * 1000;
    this.deliveries = this.#subject.asObservable();
    this.#order = new ReceiveOrder((batch) => this.#emit(batch), ORDER_HOLD_MS);
    this.#deletes = new SettleBatcher((handles) => deleteMessages(host, queue.url, queue.name, handles));
    this.#visibility = new SettleBatcher((items) => changeVisibility(host, queue.url, queue.name, items));
    const fields = { driver: host.driverId, queue: queue.name };
    this.#heartbeat = new VisibilityHeartbeat(this.#held, this.#visibilitySeconds, (items) => changeVisibility(host, queue.url, queue.name, items), host.logger, fields);
  }

  /** Whether deliveries still flow (not cancelled, not failed). */
  get active(): boolean {
    return this.#active;
  }

  /** Messages received and not yet settled. */
  get holding(): number {
    return this.#held.size;
  }

  request(credit: number): void {
    if (!this.#active || credit <= 0) return;
    this.#credit += credit;
    this.#pump();
  }

  ack(delivery: Delivery): void | Promise<void> {
    const d = delivery as SqsDelivery;
    if (d.settled) return;
    d.settled = true;
    this.#held.delete(d);
    const done = this.#deletes.add(d.receipt);
    if (!this.#active) this.#maybeLeave();
    return done;
  }

  /**
   * Same headers but one more attempt: a visibility change (the message
   * comes back after `delayMs`, rounded up to whole seconds), SQS's
   * receive count carrying the attempt. Otherwise a copy with the new
   * headers, then a delete (see `requeueMove`).
   */
  requeue(delivery: Delivery, headers: Headers, delayMs?: number): Promise<void> {
    const d = delivery as SqsDelivery;
    let delay: number;
    try {
      delay = checkedDelay(delayMs, `requeue of message ${d.id} on ${this.queue.name}`);
    } catch (e) {
      return Promise.reject(e);
    }
    if (d.settled) return Promise.resolve();
    d.settled = true;
    return this.#track(d, requeueMove(this.#host, this.queue, d, headers, delay, this.#deletes, this.#visibility, countsOneMore(d.headers, headers)));
  }

  deadLetter(delivery: Delivery, targetQueueName: string, headers: Headers): Promise<void> {
    const d = delivery as SqsDelivery;
    let target: SqsQueue;
    try {
      // Checked first: an unknown target leaves the message in flight, not lost.
      target = this.#host.queues.require(targetQueueName);
    } catch (e) {
      return Promise.reject(e);
    }
    if (d.settled) return Promise.resolve();
    d.settled = true;
    return this.#track(d, deadLetterCopy(this.#host, target, d, headers, this.#deletes));
  }

  release(deliveries: readonly Delivery[]): Promise<void> {
    const ds: SqsDelivery[] = [];
    for (const x of deliveries) {
      const d = x as SqsDelivery;
      if (d.settled) continue;
      d.settled = true;
      ds.push(d);
    }
    if (ds.length === 0) return Promise.resolve();
    const done = releaseMessages(this.#host, this.queue, ds, this.#deletes, this.#visibility).finally(() => {
      for (const d of ds) this.#held.delete(d);
      this.#maybeLeave();
    });
    return done;
  }

  /**
   * Stops deliveries at once. Receives still out are not aborted: one that
   * SQS already answered would leave its messages hidden for a visibility
   * timeout, and an emulator keeps an abandoned long poll taking messages.
   * What they bring back is released, never delivered; the driver's stop
   * aborts what is left (see {@link SqsConsumption.close}).
   */
  cancel(): Promise<void> {
    if (this.#active) this.#stop();
    return Promise.resolve();
  }

  /** @internal The connection is back: receive again. */
  resume(): void {
    this.#pump();
  }

  /**
   * @internal Driver stop: cancels, aborts receives still out, lets moves
   * under way finish, gives back what is still held (nothing, after a consumer drained), and
   * flushes pending settles, all while the endpoint is still usable.
   */
  async close(): Promise<void> {
    await this.cancel();
    this.#abort.abort();
    await Promise.allSettled([...this.#receiving]);
    if (this.#moving.size > 0) await Promise.allSettled([...this.#moving]);
    const held = [...this.#held].filter((d) => !d.settled);
    if (held.length > 0) await this.release(held).catch(() => {});
    await Promise.allSettled([this.#deletes.flush(), this.#visibility.flush()]);
    this.#heartbeat.stop();
  }

  #stop(): void {
    this.#active = false;
    this.#credit = 0;
    if (!this.#subject.closed) this.#subject.complete();
    this.#order.flush();
    this.#maybeLeave();
  }

  #fail(error: unknown): void {
    this.#active = false;
    this.#credit = 0;
    this.#abort.abort();
    if (!this.#subject.closed) this.#subject.error(error);
    this.#order.flush();
    this.#maybeLeave();
  }

  #pump(): void {
    if (!this.#active || !this.#host.connection.connected) return;
    const limit = this.#idle ? 1 : MAX_RECEIVES;
    while (this.#credit > 0 && this.#receiving.size < limit) {
      const n = Math.min(this.#credit, SQS_BATCH_LIMIT);
      this.#credit -= n;
      const receive = this.#receive(n, this.#order.open());
      this.#receiving.add(receive);
      void receive.finally(() => {
        this.#receiving.delete(receive);
        this.#pump();
        if (!this.#active) this.#maybeLeave();
      });
    }
  }

  async #receive(n: number, slot: ReceiveSlot<SqsDelivery>): Promise<void> {
    const q = this.queue;
    let messages;
    try {
      const r = await this.#host.connection.send(
        new ReceiveMessageCommand({
          QueueUrl: q.url,
          MaxNumberOfMessages: n,
          WaitTimeSeconds: this.#waitSeconds,
          VisibilityTimeout: this.#visibilitySeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId', 'MessageDeduplicationId'],
        }),
        { abortSignal: this.#abort.signal },
      );
      messages = r.Messages ?? [];
    } catch (e) {
      this.#credit += this.#active ? n : 0;
      this.#order.finish(slot, undefined);
      if (!this.#active || isAborted(e)) return;
      if (isQueueMissing(e)) return this.#fail(new NotFoundError('queue', q.name, `driver ${this.#host.driverId}: not on SQS`));
      if (isTransient(e) || e instanceof DriverUnavailableError) {
        // Lost: the driver resumes us once probes succeed. Throttled (still connected): pause first.
        if (this.#host.connection.connected) await new Promise((r) => setTimeout(r, RETRY_MS));
        return;
      }
      const text = this.#host.connection.describe(e);
      this.#host.logger.error('sqs receive refused', { driver: this.#host.driverId, queue: q.name, error: text });
      return this.#fail(new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.#host.driverId}: SQS refused to receive from ${q.name}: ${text}`));
    }
    const receivedAt = Date.now();
    this.#idle = messages.length < n;
    // Short polling (`wait_time: 0`) on an empty queue answers at once: pause, or it would be a busy loop of requests.
    if (messages.length === 0 && this.#waitSeconds === 0) await new Promise((r) => setTimeout(r, SHORT_POLL_PAUSE_MS));
    const batch: SqsDelivery[] = [];
    for (const m of messages) {
      const d = decodeReceived(m, receivedAt, this.#visibilityMs);
      if (d instanceof UndecodableMessage) this.#setAside(d, receivedAt);
      else if (d.due > receivedAt && !q.fifo) this.#hop(d);
      else batch.push(d);
    }
    if (this.#active) this.#credit += n - batch.length;
    for (const d of batch) this.#held.add(d);
    if (!this.#active) {
      // Cancelled while the call was out: never handed to anyone.
      this.#order.finish(slot, undefined);
      if (batch.length > 0) this.#giveBack(batch);
      return;
    }
    if (this.#held.size > 0) this.#heartbeat.start();
    this.#order.finish(slot, batch, messages.length === n);
  }

  /** Hands out a finished receive's messages; after a cancel (they waited for an earlier receive) they go back instead. */
  #emit(batch: SqsDelivery[]): void {
    if (this.#active && !this.#subject.closed) this.#subject.next(batch);
    else this.#giveBack(batch);
  }

  /** Releases messages never handed out; a driver stop waits for it. */
  #giveBack(batch: SqsDelivery[]): void {
    const done: Promise<void> = this.release(batch)
      .catch(() => {})
      .finally(() => {
        this.#moving.delete(done);
        this.#maybeLeave();
      });
    this.#moving.add(done);
  }

  #setAside(message: UndecodableMessage, receivedAt: number): void {
    const d = new SqsDelivery(message.id, undefined, message.headers, message.raw, receivedAt, receivedAt + this.#visibilityMs);
    d.settled = true;
    this.#held.add(d);
    this.#heartbeat.start();
    this.#trackMove(
      d,
      this.#host.setAside(this.queue, message).then(
        () => this.#deletes.add(d.receipt),
        // Logged by setAside; left hidden, it comes back after the visibility timeout.
        () => undefined,
      ),
    );
  }

  #hop(d: SqsDelivery): void {
    d.settled = true;
    this.#held.add(d);
    this.#heartbeat.start();
    this.#trackMove(d, hopCopy(this.#host, this.queue, d, this.#deletes));
  }

  /** Tracks a settle that moves a handed-out delivery; it stays held (and hidden) until done. */
  #track(d: SqsDelivery, move: Promise<void>): Promise<void> {
    return move.finally(() => {
      this.#held.delete(d);
      this.#maybeLeave();
    });
  }

  /** Tracks a move of a message never handed out. */
  #trackMove(d: SqsDelivery, move: Promise<void>): void {
    const done: Promise<void> = move
      .catch((e: unknown) => this.#host.logger.error('sqs move failed', { driver: this.#host.driverId, queue: this.queue.name, message_id: d.id, error: String(e) }))
      .finally(() => {
        this.#moving.delete(done);
        this.#held.delete(d);
        this.#maybeLeave();
      });
    this.#moving.add(done);
  }

  /** Once cancelled and holding nothing, stops the heartbeat, flushes settles and leaves the driver. */
  #maybeLeave(): void {
    if (this.#active || this.#leaving || this.#held.size > 0 || this.#receiving.size > 0 || this.#moving.size > 0) return;
    this.#heartbeat.stop();
    this.#order.flush();
    this.#leaving = Promise.allSettled([this.#deletes.flush(), this.#visibility.flush()]).then(() => this.#host.forget(this));
  }
}
