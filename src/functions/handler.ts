import type { Headers } from '../message/message.ts';
import type { QueueInfo } from '../drivers/driver.ts';
import type { Logger } from '../util/logger.ts';

/**
 * A message handler. Returning (any value, including `undefined` and
 * `false`) acks the message; throwing or rejecting nacks it, which requeues
 * it or, once `dead_letter.max_attempts` is reached, dead-letters it.
 *
 * @example
 * ```ts
 * const handler: Handler = async (body, ctx) => {
 *   ctx.logger.info('processing', { id: ctx.message.id })
 *   await doWork(body, { signal: ctx.signal })
 * }
 * ```
 */
export type Handler = (body: any, ctx: HandlerContext) => unknown;

/** What a handler gets besides the body. */
export interface HandlerContext {
  /** The message being handled, with early settle. */
  readonly message: MessageHandle;
  /**
   * Fires when the consumer shuts down or the handler runs past the
   * consumer's `timeout`. Long handlers should pass it on to their I/O.
   */
  readonly signal: AbortSignal;
  /** Logger bound to the consumer and the message ID. */
  readonly logger: Logger;
  /** Registry ID of the consumer running this handler. */
  readonly consumerId: string;
  /** Publishes to any queue of the runtime (see `Runtime.publish`). */
  publish(queueId: string, body: unknown, options?: { headers?: Readonly<Record<string, unknown>> }): Promise<void>;
  /** A queue's figures (see `Runtime.info`). */
  info(queueId: string): Promise<QueueInfo>;
}

/**
 * The message a handler is working on. `ack()`/`nack()` settle it early,
 * once; the consumer then settles nothing more for it. A second settle
 * while the handler runs throws `AlreadySettledError`. Once the handler's
 * call is over (returned, failed, past the consumer's `timeout`, or its
 * message released at shutdown) a settle is late: it is ignored and logged
 * (and counted as `lateSettles`), and never throws (it usually comes from a timer, where a throw
 * would end the process).
 */
export interface MessageHandle {
  readonly id: string;
  readonly headers: Readonly<Headers>;
  /** One header's value, or `undefined`. */
  header(name: string): Headers[string] | undefined;
  /** Acks now. */
  ack(): void;
  /** Nacks now (requeue, or dead-letter once attempts are used up). */
  nack(reason?: unknown): void;
}
