import type { PublishOptions } from '../driver.ts';
import type { Headers, Message } from '../../message/message.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { DriverUnavailableError, PublishRejectedError } from '../../errors/lifecycle-errors.ts';
import { ActorqError } from '../../errors/actorq-error.ts';
import type { AmqpSession } from './amqp-session.ts';
import type { AmqpDelivery } from './amqp-delivery.ts';
import { encodeMessage, type EncodedMessage, type PublishDefaults } from './message-codec.ts';
import { messageCopy } from './message-copy.ts';
import { checkedDelay } from './delay-ladder.ts';
import type { DelayQueues } from './delay-queues.ts';
import { delayedCopy, delayGroups } from './delay-routing.ts';

/** What a {@link MessageSender} needs from its driver. @internal */
export interface SenderHost {
  readonly driverId: string;
  /** `publish_timeout` in ms: how long a send waits for a connection being re-established. */
  readonly publishTimeout: number;
  /** The live session, waiting until `deadline` at most (rejects when the driver stops or `signal` aborts). */
  liveSession(deadline: number, signal?: AbortSignal): Promise<AmqpSession>;
  /** An error's text with secrets removed. */
  scrub(error: unknown): string;
}

/**
 * Everything the AMQP driver writes to the broker: publishes (at once or
 * through a delay queue), and the confirmed copies that requeue,
 * dead-letter and set-aside moves are made of.
 *
 * @internal
 */
export class MessageSender {
  readonly #host: SenderHost;
  readonly #delays: DelayQueues;
  readonly #defaults: PublishDefaults;

  constructor(host: SenderHost, delays: DelayQueues, defaults: PublishDefaults) {
    this.#host = host;
    this.#delays = delays;
    this.#defaults = defaults;
  }

  /**
   * Encodes and sends `messages`, resolving when the broker confirmed each
   * of them. Messages that wait (the publish's `delayMs`, a message's own
   * `amqp.x_delay`) go to the delay queue of their level.
   */
  async publish(queueName: string, messages: readonly Message[], options?: PublishOptions): Promise<void> {
    const delayMs = checkedDelay(options?.delayMs, `publish to ${queueName}`);
    const defaults = this.#defaults;
    const encoded = messages.map((m) => encodeMessage(m, queueName, defaults));
    const deadline = Date.now() + this.#host.publishTimeout;
    const signal = options?.signal;
    const groups = delayGroups(encoded, delayMs);
    if (!groups) return this.#sendAll(queueName, encoded, encoded.map((_, i) => i), deadline, signal);
    // Waiting messages go to the delay queue of their level, which hands them back when due.
    const copies = encoded.map(delayedCopy);
    for (const [level, indexes] of groups) {
      if (level === 0) await this.#sendAll(queueName, encoded, indexes, deadline, signal);
      else await this.#viaDelayQueue(queueName, level, deadline, signal, (target) => this.#sendAll(target, copies, indexes, deadline, signal));
    }
  }

  /**
   * Publishes the copy of a delivery that replaces it (see `message-copy.ts`),
   * confirmed, in one attempt: if the connection drops meanwhile, the
   * original comes back from the broker anyway. With `delayMs` the copy
   * goes to the delay queue of its level, which hands it back to `queue`
   * when due.
   */
  async publishCopy(queue: string, d: AmqpDelivery, headers: Headers, delayMs: number, deadLetter: boolean): Promise<void> {
    const copy = messageCopy(d.id, d.raw.content, d.raw.properties, headers, queue, deadLetter);
    if (delayMs === 0) return this.sendConfirmed(queue, copy);
    const delayed = delayedCopy(copy);
    await this.#viaDelayQueue(queue, delayMs, Date.now() + this.#host.publishTimeout, undefined, (target) => this.sendConfirmed(target, delayed));
  }

  /** Publishes one message and waits for its confirm; a connection lost meanwhile is an error, not a retry. */
  async sendConfirmed(queue: string, copy: EncodedMessage): Promise<void> {
    const session = await this.#host.liveSession(Date.now() + this.#host.publishTimeout);
    const out = await session.publisher.send(queue, [copy], [0]);
    this.#checkOutcome(queue, [copy], out.nacked, out.unroutable);
    if (out.lost.length > 0) throw this.#unavailable(`copy of message ${copy.id} to ${queue} unconfirmed: connection lost`);
  }

  /** Sends `indexes` of `encoded` to `queue`, confirmed; those a lost connection left unconfirmed go again once it is back. */
  async #sendAll(queue: string, encoded: readonly EncodedMessage[], indexes: readonly number[], deadline: number, signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const session = await this.#host.liveSession(deadline, signal);
      const out = await session.publisher.send(queue, encoded, indexes);
      this.#checkOutcome(queue, encoded, out.nacked, out.unroutable);
      if (out.lost.length === 0) return;
      // The connection dropped before these were confirmed: send them again
      // once it is back (the broker may hold a copy: at-least-once).
      indexes = out.lost;
    }
  }

  /** Sends with `send` through the delay queue of `queue` for `delayMs`; a client library error becomes a retryable `DRIVER_UNAVAILABLE`. */
  async #viaDelayQueue(queue: string, delayMs: number, deadline: number, signal: AbortSignal | undefined, send: (target: string) => Promise<void>): Promise<void> {
    try {
      await this.#delays.send(() => this.#host.liveSession(deadline, signal), queue, delayMs, send);
    } catch (e) {
      if (e instanceof ActorqError) throw e;
      throw this.#unavailable(`delay queue for ${queue}: ${this.#host.scrub(e)}`, e);
    }
  }

  #checkOutcome(queue: string, encoded: readonly EncodedMessage[], nacked: readonly number[], unroutable: boolean): void {
    if (unroutable) throw new NotFoundError('queue', queue, `driver ${this.#host.driverId}: not on the broker`);
    if (nacked.length > 0) {
      const ids = nacked.slice(0, 10).map((i) => encoded[i]!.id);
      const more = nacked.length > ids.length ? ` and ${nacked.length - ids.length} more` : '';
      throw new PublishRejectedError(`driver ${this.#host.driverId}: broker refused ${nacked.length} of ${encoded.length} message(s) to ${queue}: ${ids.join(', ')}${more}`);
    }
  }

  #unavailable(what: string, cause?: unknown): DriverUnavailableError {
    return new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.#host.driverId}: ${what}`, cause === undefined ? undefined : { cause });
  }
}
