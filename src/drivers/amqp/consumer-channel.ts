import type { Channel } from 'amqplib';
import type { AmqpSession } from './amqp-session.ts';
import type { AmqpDelivery } from './amqp-delivery.ts';

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

  /** `basic.ack` unless already settled; a no-op on a closed channel. */
  ack(d: AmqpDelivery): void {
    if (d.settled) return;
    d.settled = true;
    this.ackSettled(d);
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
    this.#one();
  }

  /** Nacks (requeue) a delivery already marked settled, e.g. when its requeue copy failed. */
  nackSettled(d: AmqpDelivery): void {
    if (!this.open) return;
    this.channel.nack(d.raw, false, true);
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
      this.#closing = true;
      await this.channel.close().catch(() => undefined);
    }
    await this.#closed;
  }

  #one(): void {
    this.outstanding--;
    if (this.#closeWhenSettled && this.outstanding <= 0) void this.close();
  }
}
