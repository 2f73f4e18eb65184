import { randomUUID } from 'node:crypto';
import { Subject, type Observable } from 'rxjs';
import type { ConsumeMessage } from 'amqplib';
import type { Consumption, Delivery } from '../driver.ts';
import type { Headers } from '../../message/message.ts';
import { Deque } from '../../util/deque.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { AmqpDelivery } from './amqp-delivery.ts';
import type { AmqpSession } from './amqp-session.ts';
import { ConsumerChannel } from './consumer-channel.ts';
import { decodeDelivery } from './message-decoder.ts';
import { brokerReason, isAccessRefused, isChannelClosedError, isNotFound } from './amqp-errors.ts';
import { DeliveryMoves, type MovesHost } from './delivery-moves.ts';
import { DriverUnavailableError } from '../../errors/lifecycle-errors.ts';
import { checkedDelay } from './delay-ladder.ts';

/** What a consumption needs from its driver. @internal */
export interface ConsumptionHost extends MovesHost {
  readonly driverId: string;
  /** Throws `NotFoundError` unless `queue` is declared on the driver. */
  assertDeclared(queue: string): void;
  /** The consumption is finished and holds nothing: drop it from the driver. */
  forget(consumption: AmqpConsumption): void;
}

/** How one consumer subscribes (its entry's `auto_ack` and `driver_options.amqp`). @internal */
export interface ConsumeSettings {
  /** Consumer tag prefix (`consumer_tag`); the tag is `<prefix>-<8 hex>`. */
  readonly tag?: string;
  /** `basic.consume exclusive`. */
  readonly exclusive?: boolean;
  /** `basic.consume no-local`. */
  readonly noLocal?: boolean;
  /** Ack each delivery when it is handed out, before any handler runs (at-most-once). */
  readonly autoAck?: boolean;
}

/** Pause before re-opening a consumer channel the broker closed while the connection stayed up. */
const REOPEN_DELAY_MS = 200;
/** AMQP's `basic.qos` prefetch-count is a 16-bit field. */
const MAX_QOS = 65_535;

/**
 * One consumer's subscription to an AMQP queue, surviving reconnects: the
 * `deliveries` observable and its subscriber stay the same while the
 * driver re-attaches the consumption to a new channel on each connection.
 *
 * Flow control: the broker pushes up to `basic.qos` (= `maxUnsettled`)
 * unacked messages; the consumer grants credit. Deliveries beyond the
 * credit wait in a local buffer (bounded by the qos) and go out as credit
 * arrives, so the consumer never gets more than it asked for.
 *
 * @internal Built by `AmqpDriver.consume`.
 */
export class AmqpConsumption implements Consumption {
  readonly queueName: string;
  readonly deliveries: Observable<readonly Delivery[]>;
  readonly #host: ConsumptionHost;
  readonly #qos: number;
  readonly #tag: string;
  readonly #subject = new Subject<readonly Delivery[]>();
  readonly #buffer = new Deque<AmqpDelivery>();
  /** Channels still open (the current one, plus any draining after a cancel). */
  readonly #channels = new Set<ConsumerChannel>();
  #current: ConsumerChannel | undefined;
  #attaching: Promise<void> | undefined;
  #cancelling: Promise<void> | undefined;
  #credit = 0;
  #batch: AmqpDelivery[] | undefined;
  readonly #exclusive: boolean;
  readonly #noLocal: boolean;
  readonly #autoAck: boolean;
  /** Requeue, dead-letter and set-aside moves (a graceful close waits for them). */
  readonly #moves: DeliveryMoves;

  constructor(host: ConsumptionHost, queueName: string, consumerId: string, qos: number, settings: ConsumeSettings = {}) {
    this.#host = host;
    this.queueName = queueName;
    this.#qos = qos;
    // Wippy's shape with a consumer_tag (`<tag>-<8 hex>`), the consumer's ID otherwise.
    const suffix = randomUUID().slice(0, 8);
    this.#tag = (settings.tag !== undefined ? `${settings.tag}-${suffix}` : `${consumerId}.${suffix}`).slice(0, 250);
    this.#exclusive = settings.exclusive ?? false;
    this.#noLocal = settings.noLocal ?? false;
    this.#autoAck = settings.autoAck ?? false;
    this.#moves = new DeliveryMoves(host, queueName, () => this.active);
    this.deliveries = this.#subject.asObservable();
  }

  /** Whether the consumption still wants deliveries (not cancelled, not ended). */
  get active(): boolean {
    return this.#cancelling === undefined && !this.#subject.closed;
  }

  /** Unsettled deliveries this process holds for the queue (buffered or with the consumer). */
  get inFlight(): number {
    let n = 0;
    for (const c of this.#channels) n += c.outstanding;
    return n;
  }

  /**
   * Opens a channel on `session`, sets `basic.qos` and starts `basic.consume`.
   * Idempotent per session. A missing queue ends the consumption with
   * `NotFoundError`; a connection lost meanwhile is left to the next reconnect.
   */
  attach(session: AmqpSession): Promise<void> {
    if (!this.active || this.#current?.session === session) return Promise.resolve();
    if (this.#attaching) return this.#attaching;
    const attaching = this.#attach(session).finally(() => {
      if (this.#attaching === attaching) this.#attaching = undefined;
    });
    this.#attaching = attaching;
    return attaching;
  }

  async #attach(session: AmqpSession): Promise<void> {
    let cc: ConsumerChannel | undefined;
    try {
      const channel = await session.createChannel();
      cc = new ConsumerChannel(channel, session, (closed) => this.#channelClosed(closed));
      this.#channels.add(cc);
      // A consumer that already granted more credit than its declared window
      // (the conformance suite does) gets a window that can honour it.
      await channel.prefetch(Math.min(MAX_QOS, Math.max(this.#qos, this.#credit)));
      if (!this.active) return void (await cc.close());
      this.#current = cc;
      const target = cc;
      const reply = await channel.consume(this.queueName, (msg) => this.#onMessage(target, msg), {
        consumerTag: this.#tag,
        exclusive: this.#exclusive,
        noLocal: this.#noLocal,
      });
      cc.consumerTag = reply.consumerTag;
    } catch (e) {
      if (cc && this.#current === cc) this.#current = undefined;
      if (isNotFound(e)) return this.#fail(new NotFoundError('queue', this.queueName, `driver ${this.#host.driverId}: not on the broker`));
      if (isAccessRefused(e)) {
        // An exclusive consumer holds the queue, or this one asked for exclusivity while others are attached.
        // Retryable: the consumer's restart policy tries again, which is how a standby takes over.
        const why = `queue ${this.queueName} is in exclusive use (${brokerReason(e)})`;
        return this.#fail(new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.#host.driverId}: consumer cannot attach: ${why}`, { cause: e }));
      }
      if (session.lost || isChannelClosedError(e)) return; // the reconnect attaches again
      throw e;
    }
  }

  #onMessage(cc: ConsumerChannel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // basic.cancel from the broker: the queue was deleted.
      this.#fail(new NotFoundError('queue', this.queueName, `driver ${this.#host.driverId}: deleted on the broker`));
      return;
    }
    const decoded = decodeDelivery(msg.content, msg.properties);
    if (typeof decoded === 'string') return this.#moves.setAside(cc, msg, decoded);
    const d = new AmqpDelivery(decoded, msg, cc);
    cc.received(d);
    if (this.#credit > 0 && cc === this.#current) {
      this.#credit--;
      this.#emit(d);
    } else this.#buffer.push(d);
  }

  /** Adds `d` to the batch that goes out at the end of this tick (amqplib hands over one message per call). */
  #emit(d: AmqpDelivery): void {
    if (this.#batch) {
      this.#batch.push(d);
      return;
    }
    this.#batch = [d];
    queueMicrotask(() => {
      const batch = this.#batch!;
      this.#batch = undefined;
      // Deliveries from a channel that closed meanwhile come back from the
      // broker anyway: handing them out would only process them twice.
      const live = batch.filter((x) => x.channel.open);
      this.#credit += batch.length - live.length;
      if (this.#autoAck) {
        // auto_ack: acked as it is handed out, before any handler runs.
        for (const x of live) {
          x.channel.ack(x);
          x.autoAcked = true;
        }
      }
      if (live.length > 0 && !this.#subject.closed) this.#subject.next(live);
    });
  }

  request(credit: number): void {
    if (!this.active || credit <= 0) return;
    this.#credit += credit;
    while (this.#credit > 0 && this.#buffer.length > 0) {
      const d = this.#buffer.shift()!;
      if (!d.channel.open) continue;
      this.#credit--;
      this.#emit(d);
    }
  }

  ack(delivery: Delivery): void {
    const d = delivery as AmqpDelivery;
    d.channel.ack(d);
  }

  /**
   * `basic.nack` with requeue. An auto-acked delivery is no longer the
   * broker's to give back: a copy with its headers goes to the tail instead.
   */
  release(deliveries: readonly Delivery[]): void | Promise<void> {
    let copies: Promise<void>[] | undefined;
    for (const delivery of deliveries) {
      const d = delivery as AmqpDelivery;
      if (d.autoAcked) (copies ??= []).push(this.#moves.move(this.queueName, d, d.headers, 0, false));
      else d.channel.nack(d);
    }
    if (copies) return Promise.all(copies).then(() => undefined);
  }

  /** With `delayMs`, the copy waits in a delay queue (see `delay-ladder.ts`); the original is acked once it is confirmed there. */
  requeue(delivery: Delivery, headers: Headers, delayMs?: number): Promise<void> {
    let delay: number;
    try {
      // Checked first: a bad delay leaves the message in flight, not lost.
      delay = checkedDelay(delayMs, `requeue of message ${delivery.id} on ${this.queueName}`);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#moves.move(this.queueName, delivery as AmqpDelivery, headers, delay, false);
  }

  deadLetter(delivery: Delivery, targetQueueName: string, headers: Headers): Promise<void> {
    // Checked first: an unknown target leaves the message in flight, not lost.
    this.#host.assertDeclared(targetQueueName);
    return this.#moves.move(targetQueueName, delivery as AmqpDelivery, headers, 0, true);
  }

  cancel(): Promise<void> {
    this.#cancelling ??= this.#cancel();
    return this.#cancelling;
  }

  async #cancel(): Promise<void> {
    this.#credit = 0;
    await this.#attaching?.catch(() => undefined);
    const cc = this.#current;
    this.#current = undefined;
    if (cc?.open && cc.consumerTag) await cc.channel.cancel(cc.consumerTag).catch(() => undefined);
    // Messages that arrived beyond the credit were never handed out: give them back now.
    for (let d = this.#buffer.shift(); d; d = this.#buffer.shift()) d.channel.nack(d);
    this.#subject.complete();
    if (cc) cc.closeWhenSettled();
    this.#forgetIfIdle();
  }

  /**
   * Driver stop, before the connection closes: ends the stream, lets moves
   * already under way finish (their copy is confirmed, so their ack must
   * follow or the message would exist twice), then closes every channel
   * gracefully, so that every settle issued so far has been applied by the
   * broker when this resolves; whatever is still unsettled goes back to
   * the queue. The caller bounds the wait.
   */
  async close(): Promise<void> {
    this.end();
    await this.#moves.settled();
    await Promise.all([...this.#channels].map((cc) => cc.close()));
  }

  /** Ends the stream; the closing connection returns whatever is unsettled. */
  end(): void {
    this.#credit = 0;
    this.#current = undefined;
    this.#buffer.drain();
    if (!this.#subject.closed) this.#subject.complete();
  }

  #fail(error: unknown): void {
    this.#credit = 0;
    const cc = this.#current;
    this.#current = undefined;
    this.#cancelling ??= Promise.resolve();
    for (let d = this.#buffer.shift(); d; d = this.#buffer.shift()) d.channel.nack(d);
    if (!this.#subject.closed) this.#subject.error(error);
    cc?.closeWhenSettled();
    this.#forgetIfIdle();
  }

  #channelClosed(cc: ConsumerChannel): void {
    this.#channels.delete(cc);
    if (cc === this.#current) {
      this.#current = undefined;
      // Buffered deliveries came on this channel; the broker redelivers them.
      this.#buffer.drain();
      // Closed by the broker while the connection stayed up (not a reconnect): open a new one.
      if (this.active && !cc.session.lost) {
        setTimeout(() => {
          if (!cc.session.lost) this.attach(cc.session).catch((e) => this.#fail(e));
        }, REOPEN_DELAY_MS).unref();
      }
    }
    this.#forgetIfIdle();
  }

  #forgetIfIdle(): void {
    if (!this.active && this.#channels.size === 0) this.#host.forget(this);
  }
}
