import type { ConsumeMessage } from 'amqplib';
import type { Headers } from '../../message/message.ts';
import { AmqpDelivery } from './amqp-delivery.ts';
import type { ConsumerChannel } from './consumer-channel.ts';

/** What moves need from the driver. @internal */
export interface MovesHost {
  /**
   * Publishes the copy of `delivery` that replaces it (same ID and bytes,
   * every property, `headers` for its headers) to `queue`, confirmed; one
   * attempt. With `delayMs` > 0 it goes through the queue's delay queue.
   */
  publishCopy(queue: string, delivery: AmqpDelivery, headers: Headers, delayMs: number, deadLetter: boolean): Promise<void>;
  /**
   * Stores a copy of an undecodable delivery (its raw bytes) in the queue's
   * dead-letter queue or its parked queue, confirmed, and logs it; rejects
   * (after logging) if that failed.
   */
  setAside(queue: string, delivery: AmqpDelivery, reason: string): Promise<void>;
}

/** Pause before handing back an undecodable delivery that could not be set aside, so it does not spin through the broker. */
const SET_ASIDE_RETRY_MS = 500;

/**
 * The two-step settles of one consumption: publish a confirmed copy,
 * then ack the original. It tracks the moves under way, because a
 * graceful close must let them finish (their copy is confirmed, so their
 * ack must follow, or the message would exist twice).
 *
 * @internal
 */
export class DeliveryMoves {
  readonly #host: MovesHost;
  readonly #queueName: string;
  readonly #active: () => boolean;
  /** Moves between their copy and their ack. */
  readonly #moving = new Set<Promise<void>>();

  constructor(host: MovesHost, queueName: string, active: () => boolean) {
    this.#host = host;
    this.#queueName = queueName;
    this.#active = active;
  }

  /** Resolves when every move under way has finished (succeeded or not). */
  async settled(): Promise<void> {
    if (this.#moving.size > 0) await Promise.allSettled([...this.#moving]);
  }

  /**
   * Publish a confirmed copy to `queue`, then ack the original. If the
   * copy fails, the original is nacked back (attempts unchanged) and the
   * error rethrown; a crash between the two steps leaves both, so a
   * duplicate is possible but never a loss.
   *
   * A delivery acked when it was handed out (`auto_ack`) has no original
   * left to settle: the copy is all there is, and if it fails the
   * message is gone (at-most-once, as `auto_ack` says).
   */
  move(queue: string, d: AmqpDelivery, headers: Headers, delayMs: number, deadLetter: boolean): Promise<void> {
    return this.#track(this.#move(queue, d, headers, delayMs, deadLetter));
  }

  async #move(queue: string, d: AmqpDelivery, headers: Headers, delayMs: number, deadLetter: boolean): Promise<void> {
    if (d.autoAcked) {
      if (d.moved) return;
      d.moved = true;
      return this.#host.publishCopy(queue, d, headers, delayMs, deadLetter);
    }
    if (d.settled) return;
    d.settled = true;
    // The channel is gone: the broker has already put the original back.
    if (!d.channel.open) return;
    try {
      await this.#host.publishCopy(queue, d, headers, delayMs, deadLetter);
    } catch (e) {
      d.channel.nackSettled(d);
      throw e;
    }
    d.channel.ackSettled(d);
  }

  /**
   * A delivery that is not a message (written by another program) never
   * reaches the consumer and never takes its credit: a confirmed copy with
   * the raw bytes goes to the dead-letter or parked queue, then the
   * original is acked. If the copy fails, the original goes back to the
   * queue after a pause (attempts are not counted: it was never handled).
   */
  setAside(cc: ConsumerChannel, msg: ConsumeMessage, reason: string): void {
    const id = typeof msg.properties?.messageId === 'string' ? msg.properties.messageId : '';
    const d = new AmqpDelivery({ id, body: undefined, headers: {} }, msg, cc);
    cc.received(d);
    d.settled = true;
    const moved = this.#host.setAside(this.#queueName, d, reason).then(
      () => d.channel.ackSettled(d),
      () =>
        new Promise<void>((resolve) => {
          // A stop meanwhile closes the channel, which hands the original back by itself.
          const timer = setTimeout(() => resolve(d.channel.nackSettled(d)), this.#active() ? SET_ASIDE_RETRY_MS : 0);
          timer.unref();
        }),
    );
    void this.#track(moved);
  }

  #track(move: Promise<void>): Promise<void> {
    const done = move.then(
      () => void this.#moving.delete(done),
      () => void this.#moving.delete(done),
    );
    this.#moving.add(done);
    return move;
  }
}
