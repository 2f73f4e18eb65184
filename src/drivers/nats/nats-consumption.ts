import { Subject, type Observable } from 'rxjs';
import type { Msg } from '@nats-io/transport-node';
import type { Consumption, Delivery } from '../driver.ts';
import type { Headers } from '../../message/message.ts';
import type { Logger } from '../../util/logger.ts';
import type { NatsSession } from './nats-connection.ts';
import type { QueuePlace } from './nats-names.ts';
import { NatsDelivery } from './nats-delivery.ts';
import { decodeMessage } from './nats-decoder.ts';
import { NatsPuller, PULL_HEARTBEAT_MS } from './nats-puller.ts';
import { setAside, type SetAsideHost } from './nats-set-aside.ts';
import { checkedDelay } from './nats-errors.ts';
import { InProgressTimer } from './nats-in-progress.ts';
import { ACK, nakPayload, TERM, WPI } from './nats-acks.ts';
import { NakClock } from './nats-nak-clock.ts';

/** Why a copy of a delivery is made: it names the copy's `Nats-Msg-Id`. @internal */
export type CopyKind = 'requeue' | 'dead' | 'release';

/** What a consumption needs from its driver. @internal */
export interface ConsumptionHost extends SetAsideHost {
  readonly logger: Logger;
  /** The live session, or `undefined` while not connected. */
  liveSession(): NatsSession | undefined;
  /**
   * Publishes a confirmed copy of `d` (same ID and body bytes, `headers`) to
   * `queueName`, due at `due` (0 = at once). `kind` makes its
   * `Nats-Msg-Id`, unique to the stored message it is made from.
   */
  copy(queueName: string, d: NatsDelivery, headers: Headers, kind: CopyKind, due: number): Promise<void>;
  /** Throws `NotFoundError` unless `queueName` is declared on the driver. */
  assertDeclared(queueName: string): void;
  /** Creates a queue's stream and consumer again when the server lost them. */
  restore(queueName: string): Promise<void>;
  /** The consumption is finished and holds nothing. */
  forget(c: NatsConsumption): void;
}

/** Pause before handing back an undecodable message that could not be set aside, so it does not loop hot. */
const SET_ASIDE_RETRY_MS = 5_000;

/**
 * One actorq consumer's subscription to a queue: a pull consumer fed by
 * the consumer's credit. The shared durable consumer hands each stored
 * message to one puller in one process at a time.
 *
 * Flow control: a pull request asks for exactly the credit not yet asked
 * for, so the server never sends more than the consumer granted, and
 * nothing is buffered here beyond `prefetch + concurrency`. A message that
 * arrives without credit (a pull request the server kept after a reset)
 * is handed back at once (released, see {@link NatsConsumption.release}).
 *
 * Per message: a delayed one seen early (`Actorq-Not-Before` in the
 * future) is handed back with `nak` and the rest of its delay, without
 * taking credit; an undecodable one is set aside (`nats-set-aside.ts`),
 * without taking credit; any other is delivered. Deliveries of one socket
 * read go out as one batch.
 *
 * Settles are publishes to the message's ack subject, from whatever
 * connection is live: a message received before a reconnect is settled
 * on the new connection. A settle issued while disconnected waits for the
 * next connection (if the driver stops first, JetStream redelivers the
 * message after `ack_wait`). A message held past half of `ack_wait`
 * (buffered or being handled) is reported in progress, so it is not
 * redelivered while this process still has it.
 *
 * @internal Built by `NatsDriver.consume`.
 */
export class NatsConsumption implements Consumption {
  readonly deliveries: Observable<readonly Delivery[]>;
  readonly place: QueuePlace;
  readonly #host: ConsumptionHost;
  readonly #subject = new Subject<readonly Delivery[]>();
  /** Delivered and not settled: reported in progress as they age. */
  readonly #held = new Set<NatsDelivery>();
  readonly #timer: InProgressTimer;
  /** Settles issued while disconnected: `[ack subject, payload]`. */
  #unsent: [string, Uint8Array][] = [];
  readonly #puller: NatsPuller;
  #active = true;
  #credit = 0;
  #batch: NatsDelivery[] | undefined;
  #flushQueued = false;
  /** What the rest of an early message's delay is counted from (so a delayed batch comes back in order). */
  readonly #nakClock = new NakClock();
  #cancelling: Promise<void> | undefined;
  /** While a cancel clears the server of this consumption's pull requests: naks waiting for that. */
  #deferred: [string, Uint8Array][] | undefined;
  /** Set-asides and copies under way (a stop waits for them). */
  readonly #moving = new Set<Promise<unknown>>();

  constructor(host: ConsumptionHost, place: QueuePlace, ackWait: number) {
    this.#host = host;
    this.place = place;
    this.deliveries = this.#subject.asObservable();
    this.#puller = new NatsPuller(place, {
      driverId: host.driverId,
      logger: host.logger,
      wanted: () => this.#credit,
      onData: (msg) => this.#onData(msg),
      liveSession: () => host.liveSession(),
      restore: () => host.restore(place.queueName),
    });
    this.#timer = new InProgressTimer(ackWait, PULL_HEARTBEAT_MS, {
      held: () => this.#held,
      touch: (d) => this.#touch(d),
      silent: (now) => this.#puller.silent(now),
      lost: () => void this.#puller.recover('no heartbeat from the pull requests'),
    });
    const session = host.liveSession();
    if (session) this.attach(session);
  }

  /** Messages delivered and not settled. */
  get holding(): number {
    return this.#held.size;
  }

  /** @internal The inbox its pull requests name (tests send stray pull requests to it). */
  get inbox(): string {
    return this.#puller.inbox;
  }

  /** Whether the consumption still wants deliveries. */
  get active(): boolean {
    return this.#active;
  }

  /**
   * Binds the consumption to a (new) connection: settles held back while
   * disconnected go out, and pulling starts again (see {@link NatsPuller.attach}).
   */
  attach(session: NatsSession): void {
    // Held-back settles go out even after a cancel: they belong to handed-out messages.
    const unsent = this.#unsent;
    this.#unsent = [];
    for (const [reply, payload] of unsent) this.#send(reply, payload);
    if (!this.#active) return;
    this.#puller.attach(session);
    this.#timer.start();
  }

  request(credit: number): void {
    if (!this.#active || credit <= 0) return;
    this.#credit += credit;
    this.#puller.pull();
  }

  ack(delivery: Delivery): void {
    const d = delivery as NatsDelivery;
    if (d.settled) return;
    d.settled = true;
    this.#held.delete(d);
    this.#send(d.reply, ACK);
    this.#maybeForget();
  }

  /**
   * Back to the queue untouched (same ID, headers and body, attempts
   * unchanged), as a copy at the tail, acked once stored: not a `nak`.
   * nats-server 2.9 can hand a nak'd message to a pull request whose
   * subscriber just left (a consumer stopping, a connection closing), where
   * it waits out `ack_wait`; a copy is a new message, which the server only
   * sends where someone listens. If the copy fails, the original is nak'd.
   */
  release(deliveries: readonly Delivery[]): void | Promise<void> {
    const moves: Promise<void>[] = [];
    for (const delivery of deliveries) {
      const d = delivery as NatsDelivery;
      if (!d.settled) moves.push(this.#move(d, this.place.queueName, d.headers, 'release', 0));
    }
    if (moves.length === 0) return;
    return Promise.all(moves).then(() => undefined);
  }

  /**
   * A copy with the new headers goes to the tail of the queue (due after
   * `delayMs`), confirmed, and only then is the original acked: a crash in
   * between leaves both (the copy's `Nats-Msg-Id` makes a second copy of the
   * same stored message a duplicate the server drops), never neither. If
   * the copy fails, the original is handed back after the same delay.
   */
  requeue(delivery: Delivery, headers: Headers, delayMs?: number): Promise<void> {
    let delay: number;
    try {
      delay = checkedDelay(delayMs, `requeue of message ${delivery.id} on ${this.place.queueName}`);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#move(delivery as NatsDelivery, this.place.queueName, headers, 'requeue', delay);
  }

  /** Copy to the dead-letter queue, confirmed, then `term` the original. */
  deadLetter(delivery: Delivery, targetQueueName: string, headers: Headers): Promise<void> {
    try {
      // Checked first: an unknown target leaves the message in flight, not lost.
      this.#host.assertDeclared(targetQueueName);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#move(delivery as NatsDelivery, targetQueueName, headers, 'dead', 0);
  }

  cancel(): Promise<void> {
    this.#cancelling ??= this.#cancel();
    return this.#cancelling;
  }

  /**
   * Driver stop: cancels, waits for copies under way, and hands back
   * whatever is still held (`nak`, no delay), so nothing waits for
   * `ack_wait` to come back.
   */
  async close(): Promise<void> {
    await this.cancel();
    if (this.#moving.size > 0) await Promise.allSettled([...this.#moving]);
    await Promise.resolve(this.release([...this.#held])).catch(() => undefined);
    this.#timer.stop();
    this.#host.forget(this);
  }

  /**
   * Stops pulling (the puller drains its inbox, then has the server drop
   * pull requests left without a subscriber). What still arrives meanwhile
   * never reaches the consumer: it is handed back as a copy (see
   * {@link NatsConsumption.release}), or, if delayed, with a `nak` held
   * until the server dropped those pull requests, since a nak'd message
   * could otherwise be sent to one of them and wait out `ack_wait`.
   */
  async #cancel(): Promise<void> {
    this.#active = false;
    this.#credit = 0;
    this.#deferred = [];
    // Deliveries gathered for this tick's batch were never handed out.
    const batch = this.#batch;
    this.#batch = undefined;
    if (batch) void Promise.resolve(this.release(batch)).catch(() => undefined);
    this.#subject.complete();
    try {
      await this.#puller.stop();
    } finally {
      const naks = this.#deferred;
      this.#deferred = undefined;
      for (const [reply, payload] of naks) this.#send(reply, payload);
    }
    this.#maybeForget();
  }

  /** A `nak` now, or once the cancel under way has cleared the server of this consumption's pull requests. */
  #nak(reply: string, delayMs: number): void {
    const payload = nakPayload(delayMs);
    if (this.#deferred) this.#deferred.push([reply, payload]);
    else this.#send(reply, payload);
  }

  #onData(msg: Msg): void {
    const d = decodeMessage(msg);
    if (typeof d === 'string') {
      this.#setAside(msg, d);
    } else if (d.due > 0 && d.due > Date.now()) {
      // A delayed message seen early: back to the server until due, holding no credit.
      this.#nak(d.reply, this.#nakClock.remaining(d.due) + 1);
    } else if (!this.#active || this.#credit <= 0) {
      // Arrived after cancel, or beyond the credit (a pull request the server
      // kept through a reset): never handed out, back to the queue.
      this.#held.add(d);
      void Promise.resolve(this.release([d])).catch(() => undefined);
    } else {
      this.#credit--;
      d.touched = performance.now();
      this.#held.add(d);
      (this.#batch ??= []).push(d);
    }
    this.#schedule();
  }

  /** Emits the batch and asks for more once per tick, however many messages one socket read brought. */
  #schedule(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      const batch = this.#batch;
      this.#batch = undefined;
      if (batch && this.#active) this.#subject.next(batch);
      this.#puller.pull();
    });
  }

  /** Reports a delivery in progress; skipped while disconnected (the next tick tries again). */
  #touch(d: NatsDelivery): void {
    try {
      this.#host.liveSession()?.nc.publish(d.reply, WPI);
    } catch {
      // Closed meanwhile: the reconnect and the next tick take over.
    }
  }

  /** Publishes a settle now, or keeps it for the next connection. */
  #send(reply: string, payload: Uint8Array): void {
    const session = this.#host.liveSession();
    if (session) {
      try {
        session.nc.publish(reply, payload);
        return;
      } catch {
        // Closed between the check and the publish: keep it for the next connection.
      }
    }
    this.#unsent.push([reply, payload]);
  }

  #move(d: NatsDelivery, queueName: string, headers: Headers, kind: CopyKind, delay: number): Promise<void> {
    if (d.settled) return Promise.resolve();
    d.settled = true;
    // Still held while the copy is stored: in-progress signals keep it ours meanwhile.
    const moving = this.#host.copy(queueName, d, headers, kind, delay > 0 ? Date.now() + delay : 0).then(
      () => this.#finish(d, kind === 'dead' ? TERM : ACK),
      (error: unknown) => {
        this.#held.delete(d);
        this.#nak(d.reply, delay);
        this.#maybeForget();
        throw error;
      },
    );
    return this.#track(moving);
  }

  #finish(d: NatsDelivery, payload: Uint8Array): void {
    this.#held.delete(d);
    this.#send(d.reply, payload);
    this.#maybeForget();
  }

  /** An undecodable message: copied aside, then terminated; handed back after a pause if that fails. */
  #setAside(msg: Msg, reason: string): void {
    const logger = this.#host.logger;
    const reply = msg.reply!;
    const moving = setAside(this.#host, this.place, msg, reason).then(
      ({ target, fields }) => {
        logger.error(`nats: undecodable message ${target.deadLetter ? 'moved to the dead-letter queue' : 'parked'}`, fields);
        this.#send(reply, TERM);
      },
      (error: unknown) => {
        logger.error('nats: undecodable message could not be set aside; it goes back to its queue for a later try', {
          driver: this.#host.driverId,
          queue: this.place.queueId,
          subject: msg.subject,
          reason,
          error: error instanceof Error ? error.message : String(error),
        });
        this.#send(reply, nakPayload(SET_ASIDE_RETRY_MS));
      },
    );
    void this.#track(moving);
  }

  #track<T>(p: Promise<T>): Promise<T> {
    const done = p.then(
      () => void this.#moving.delete(done),
      () => void this.#moving.delete(done),
    );
    this.#moving.add(done);
    return p;
  }

  #maybeForget(): void {
    if (this.#active || this.#held.size > 0 || this.#moving.size > 0 || this.#cancelling === undefined) return;
    this.#timer.stop();
    this.#host.forget(this);
  }
}
