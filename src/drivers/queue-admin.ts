import type { Message } from '../message/message.ts';

/**
 * Operator tools on a driver's queues: reading what waits without handing
 * it to a consumer, emptying a queue, and taking messages out one by one
 * (what `actorq peek`, `actorq purge` and `actorq dead-letters` use).
 *
 * Optional on a {@link Driver} (`driver.admin`): a driver without it
 * still publishes and consumes, and the commands say that the driver does
 * not support them. Every method rejects with `NotFoundError` for a queue
 * the driver has not declared.
 *
 * Only ready messages are seen: messages in flight (held by a consumer)
 * and messages waiting for a delay are neither read, purged nor taken.
 *
 * @example
 * ```ts
 * const head = await driver.admin?.peek('tasks', 10)
 * ```
 */
export interface QueueAdmin {
  /**
   * How {@link QueueAdmin.peek} reads. `browse`: the messages are read
   * where they are and nothing about them changes. `take-and-return`: the
   * backend can only read a message by taking it, so peek takes up to
   * `limit` messages and hands them straight back in their order; while it
   * holds them no consumer gets them, and the backend may mark them as
   * delivered once (AMQP: the `redelivered` flag).
   */
  readonly peekMode: 'browse' | 'take-and-return';

  /**
   * With `take-and-return`: what a peek did to the messages it took, in a
   * phrase that follows "these messages were taken and" (the CLI says it
   * after each peek), e.g. that they came back marked redelivered.
   */
  readonly peekEffect?: string;

  /** Up to `limit` messages from the head of the queue (the next to be delivered), in order, without consuming them. */
  peek(queueName: string, limit: number): Promise<readonly StoredEntry[]>;

  /**
   * Removes every ready message of the queue and returns how many.
   * Messages in flight and delayed messages stay. Publishers waiting for
   * room in a full queue are let in.
   */
  purge(queueName: string): Promise<number>;

  /**
   * Visits ready messages from the head, in order, at most `maxVisits` of
   * them, and removes each one whose `visit` resolves `'remove'`: only
   * after it resolved, never before, so whatever `visit` did with the
   * message (published a copy elsewhere) is done before the original goes.
   * `'keep'` leaves it in place; `'stop'` leaves it and ends the walk.
   * If `visit` rejects, the walk ends, that message stays, and the
   * rejection propagates.
   *
   * A message a consumer took between the visit and its removal cannot be
   * removed any more; it counts as `gone` (its copy exists twice: at least
   * once, never lost). Backends that hold what they visit until the walk
   * ends (AMQP) have no `gone`: kept messages go back to the queue at the
   * end, in their order.
   */
  removeEach(queueName: string, maxVisits: number, visit: (entry: StoredEntry) => Promise<VisitOutcome>): Promise<RemoveEachResult>;
}

/** What {@link QueueAdmin.removeEach} does with a visited message. */
export type VisitOutcome = 'remove' | 'keep' | 'stop';

/** Figures of one {@link QueueAdmin.removeEach} walk. */
export interface RemoveEachResult {
  /** Messages visited. */
  readonly visited: number;
  /** Messages removed after their visit. */
  readonly removed: number;
  /** Messages whose visit said `remove` but that a consumer had taken meanwhile. */
  readonly gone: number;
}

/**
 * One stored entry as an operator sees it: a message, or something another
 * program stored that is not one (the driver would set it aside rather
 * than deliver it), with why and the start of what is stored.
 */
export type StoredEntry =
  | { readonly kind: 'message'; readonly message: Message }
  | { readonly kind: 'undecodable'; readonly reason: string; readonly preview: string };

/** Longest {@link StoredEntry} preview, in characters. */
export const PREVIEW_CHARS = 200;

/** The first {@link PREVIEW_CHARS} characters of `text`, marked when cut. */
export function previewOf(text: string): string {
  return text.length <= PREVIEW_CHARS ? text : `${text.slice(0, PREVIEW_CHARS)}...`;
}
