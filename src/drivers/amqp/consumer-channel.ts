import type { Channel } from 'amqplib';
import type { AmqpSession } from './amqp-session.ts';
import type { AmqpDelivery } from './amqp-delivery.ts';
import { Deque } from '../../util/deque.ts';

/**
 * One consumption's channel on one connection: its consumer tag, the
 * deliveries received on it and not yet settled, and the rule that settles
 * on a closed channel do nothing (the broker already put those messages
 * back when the channel closed).
 *
 * After `basic.cancel` the channel stays open until every delivery handed
 * out is settled, then closes itself; a driver stop closes it earlier.
 *
 * Settles are buffered writes in amqplib (no reply from the broker), so
 * the only proof that they were applied is the `channel.close-ok` that
 * follows them on the same channel: the broker handles a channel's frames
 * in order and answers the close only after the settles before it.
 * {@link close} resolves on that answer (or when the connection is gone).
 *
 * Acks are coalesced: an ack is held until the end of the event-loop turn,
 * then every held ack at the front of the channel's deliveries (in delivery
 * tag order, up to the first one still being processed) goes out as one
 * `basic.ack` with `multiple`; held acks behind that first unsettled
 * delivery go out one by one. A per-message ack frame was the largest cost
 * of consuming (a socket write each); a consumer with concurrency 10 mostly
 * finishes in tag order, so most turns need one frame.
 *
 * @internal
 */
export class ConsumerChannel {
  readonly channel: Channel;
  readonly session: AmqpSession;
  /** Tag of the `basic.consume` on this channel, once it is confirmed. */
  consumerTag = '';
  /** Deliveries received here and neither acked nor nacked yet (buffered or with the consumer). */
  outstanding = 0;
  #open = true;
  /** `channel.close` was sent: amqplib refuses (throws on) any further frame on this channel. */
  #closing = false;
  #closeWhenSettled = false;
  readonly #closed: Promise<void>;
  /** Deliveries received here, in delivery-tag order, until they are settled and flushed. */
  readonly #inOrder = new Deque<AmqpDelivery>(64);
  /** Acks held for the next flush. */
  #heldAcks = 0;
  #flushScheduled = false;

  constructor(channel: Channel, session: AmqpSession, onClose: (self: ConsumerChannel) => void) {
    this.channel = channel;
    this.session = session;
    // The error is reported through the consume call or the close that follows.
    channel.on('error', () => undefined);
    this.#closed = new Promise((resolve) => {
      channel.on('close', () => {
        this.#open = false;
        resolve();
        onClose(this);
      });
    });
  }

  /** Whether settles still reach the broker (not closed, and no close sent). */
  get open(): boolean {
    return this.#open && !this.#closing;
  }

  /** Registers a delivery just received on this channel (tags arrive in increasing order). */
  received(d: AmqpDelivery): void {
    this.outstanding++;
    this.#inOrder.push(d);
  }

  /** `basic.ack` (coalesced, see the class doc) unless already settled; a no-op on a closed channel. */
  ack(d: AmqpDelivery): void {
    if (d.settled) return;
    d.settled = true;
    if (!this.open) return;
    d.ackHeld = true;
    this.#heldAcks++;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.flushAcks());
    }
  }

  /**
   * Sends held acks: one `basic.ack multiple` for the settled run at the
   * front, single acks for held ones behind the first unsettled delivery.
   * A multiple ack covers only deliveries still unacknowledged at the
   * broker, so the ones already nacked or acked singly in that run are
   * untouched, and its own tag is always one being acked now.
   */
  flushAcks(): void {
    this.#flushScheduled = false;
    if (this.#heldAcks === 0) return;
    if (!this.open) {
      this.#heldAcks = 0;
      return;
    }
    let last: AmqpDelivery | undefined;
    let sent = 0;
    // The run stops at the first delivery whose settle has not been written:
    // still being processed, or mid two-step move (copy not yet confirmed).
    // A multiple ack past it would ack that message too early.
    for (let d = this.#inOrder.peek(); d !== undefined && (d.ackHeld || d.settleSent); d = this.#inOrder.peek()) {
      this.#inOrder.shift();
      if (d.ackHeld) {
        d.ackHeld = false;
        d.settleSent = true;
        last = d;
        sent++;
      }
    }
    if (last) this.channel.ack(last.raw, true);
    if (sent < this.#heldAcks) {
      for (const d of this.#inOrder) {
        if (!d.ackHeld) continue;
        d.ackHeld = false;
        this.channel.ack(d.raw);
        d.settleSent = true;
        sent++;
      }
    }
    this.#heldAcks = 0;
    this.#many(sent);
  }

  /** `basic.nack` with requeue unless already settled; a no-op on a closed channel. */
  nack(d: AmqpDelivery): void {
    if (d.settled) return;
    d.settled = true;
    this.nackSettled(d);
  }

  /** Acks a delivery already marked settled by a two-step settle (requeue, dead-letter). */
  ackSettled(d: AmqpDelivery): void {
    if (!this.open) return;
    this.channel.ack(d.raw);
    d.settleSent = true;
    this.#one();
  }

  /** Nacks (requeue) a delivery already marked settled, e.g. when its requeue copy failed. */
  nackSettled(d: AmqpDelivery): void {
    if (!this.open) return;
    this.channel.nack(d.raw, false, true);
    d.settleSent = true;
    this.#one();
  }

  /** Closes the channel once nothing is outstanding (now if nothing is). */
  closeWhenSettled(): void {
    this.#closeWhenSettled = true;
    if (this.outstanding <= 0) void this.close();
  }

  /**
   * Closes now, gracefully (`channel.close`, then the broker's close-ok):
   * every settle issued before this call is applied by the broker first,
   * then it requeues what is still unsettled. Settles issued after it are
   * no-ops. Resolves when the channel is closed (or its connection gone).
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.open) {
      // Held acks go out first: the close-ok then proves they were applied.
      // (Flushing can settle the last outstanding delivery and re-enter here.)
      this.flushAcks();
      if (this.open) {
        this.#closing = true;
        await this.channel.close().catch(() => undefined);
      }
    }
    await this.#closed;
  }

  #one(): void {
    // A settle written on its own (nack, release, the ack of a two-step
    // move) may leave the front of the delivery list fully settled with no
    // held ack to trigger a flush: drop that run here, or a consumer that
    // only ever nacks would grow the list without bound.
    for (let d = this.#inOrder.peek(); d !== undefined && d.settleSent; d = this.#inOrder.peek()) this.#inOrder.shift();
    this.#many(1);
  }

  /** Deliveries still tracked for ack coalescing (received, not yet settled and flushed). @internal For tests. */
  get tracked(): number {
    return this.#inOrder.length;
  }

  #many(n: number): void {
    if (n === 0) return;
    this.outstanding -= n;
    if (this.#closeWhenSettled && this.outstanding <= 0) void this.close();
  }
}
