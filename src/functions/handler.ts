import type { Headers } from '../message/message.ts';
import type { DelayValue } from '../message/delay.ts';
import type { QueueInfo } from '../drivers/driver.ts';
import type { Logger } from '../util/logger.ts';
import type { SecurityActor } from '../security/security-actor.ts';

/**
 * A message handler. Returning (any value, including `undefined` and
 * `false`) acks the message; throwing or rejecting nacks it, which requeues
 * it or, once `dead_letter.max_attempts` is reached, dead-letters it. An
 * error with a `retryAfter` (ms, or a duration string like `'30s'`) asks for
 * that delay before the next delivery, instead of the queue's `retry` policy.
 *
 * Handlers given in code (`createRuntime({ functions })`) may also be XState
 * actor logic, run as one actor per message (see `actorHandler`).
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
  /**
   * The actor this handler runs as (its consumer's or function's
   * `security.actor`), frozen; undefined when there is no `security` block.
   */
  readonly actor: SecurityActor | undefined;
  /**
   * Whether the actor's policies allow `action` on `resource` (`meta` is
   * what `meta.*` conditions read). Without a `security` block: true,
   * unless the runtime is in strict mode. See `docs/security.md`.
   */
  can(action: string, resource: string, meta?: Readonly<Record<string, unknown>>): boolean;
  /**
   * Publishes to any queue of the runtime (see `Runtime.publish`); `delay`
   * delivers it later. Checked against the actor's policies
   * (`queue.publish`, then `queue.publish.queue`): a refusal rejects with
   * `PermissionDeniedError` and stores nothing.
   */
  publish(queueId: string, body: unknown, options?: HandlerPublishOptions): Promise<void>;
  /** A queue's figures (see `Runtime.info`); checked as `queue.info` on the queue. */
  info(queueId: string): Promise<QueueInfo>;
}

/** Options of {@link HandlerContext.publish}. */
export interface HandlerPublishOptions {
  /** Headers (string, finite number or boolean values). A `delay` header means the same as the option. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Deliver no sooner than this: ms, or a Go-style duration (`'5s'`). */
  readonly delay?: DelayValue;
}

/**
 * Options of {@link MessageHandle.nack}.
 *
 * @example
 * ```ts
 * ctx.message.nack('rate limited', { delay: '30s' })
 * ctx.message.nack({ delay: 30_000 })   // one plain object with only `delay`/`reason`: options
 * ```
 */
export interface NackOptions {
  /**
   * Wait this long before the next delivery (ms, or a Go-style duration),
   * instead of the queue's `retry` policy for this retry. Ignored when the
   * nack dead-letters the message.
   */
  readonly delay?: DelayValue;
  /** The reason, when the options are the only argument. */
  readonly reason?: unknown;
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
  /**
   * Nacks now (requeue, or dead-letter once attempts are used up). With
   * `options.delay` the message waits that long before its next delivery.
   * A single argument that is a plain object whose only keys are `delay`
   * and/or `reason` is taken as the options (`nack({ delay: '30s' })`);
   * any other single argument is the reason. An invalid delay throws
   * `InvalidMessageError` (nothing settled) while the handler runs.
   */
  nack(reason?: unknown, options?: NackOptions): void;
}
