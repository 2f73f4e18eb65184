import type { Consumption, Delivery, Driver } from '../drivers/driver.ts';
import type { Headers } from '../message/message.ts';
import { attemptsOf } from '../message/attempts.ts';
import { MAX_DELAY_MS, delayProblem, tryParseDelay } from '../message/delay.ts';
import { backoffDelay, type BackoffOptions } from '../util/backoff.ts';
import type { Logger } from '../util/logger.ts';

/** Where and when a consumer dead-letters (resolved from the queue's `dead_letter`). */
export interface DeadLetterTarget {
  /** Registry ID of the dead-letter queue. */
  readonly queueId: string;
  /** Its backend name. */
  readonly queueName: string;
  /** Its driver; when it is not the consumer's own, the move is publish-then-ack. */
  readonly driver: Driver;
  /** Nacks after which a message is dead-lettered. */
  readonly maxAttempts: number;
}

/** What happened to a nacked message. */
export type NackOutcome = 'requeued' | 'dead_lettered';

/**
 * A handler's nack that asked for its own delay (`nack(reason, { delay })`):
 * made only then, so a plain nack carries its reason as it is. @internal
 */
export class DelayedNack {
  readonly reason: unknown;
  /** Whole ms, already checked. */
  readonly delayMs: number;
  constructor(reason: unknown, delayMs: number) {
    this.reason = reason;
    this.delayMs = delayMs;
  }
}

/**
 * The delay a handler asked for with this nack, or `undefined`: a
 * {@link DelayedNack}'s, or the `retryAfter` of what it threw (ms, or a
 * duration string). A `retryAfter` that is not a delay is logged and
 * ignored (the queue's policy applies): a thrown error cannot be refused.
 */
export function handlerDelay(reason: unknown, logger: Logger, messageId: string): number | undefined {
  if (reason instanceof DelayedNack) return reason.delayMs;
  if ((typeof reason !== 'object' && typeof reason !== 'function') || reason === null) return undefined;
  let value: unknown;
  try {
    value = (reason as { retryAfter?: unknown }).retryAfter;
  } catch {
    // A getter of the handler's error threw: treat it as absent.
    return undefined;
  }
  if (value === undefined) return undefined;
  const ms = tryParseDelay(value);
  if (ms === undefined) logger.warn('retryAfter of a handler error ignored', { message_id: messageId, problem: `retryAfter ${delayProblem(value)}` });
  return ms;
}

/**
 * Wait before the `attempt`-th retry (1-based) under a queue's `retry`
 * policy, in whole ms: `min(initial * factor^(attempt-1), max)` +/- jitter,
 * never past what a timer can wait.
 */
export function retryDelay(attempt: number, policy: BackoffOptions, random?: () => number): number {
  return Math.min(MAX_DELAY_MS, backoffDelay(attempt, policy, random));
}

/** Text of a nack reason for the `x_dead_letter_reason` header and logs. */
export function reasonText(reason: unknown): string {
  if (reason instanceof DelayedNack) return reasonText(reason.reason);
  if (reason instanceof Error) return reason.message || reason.name;
  if (typeof reason === 'string') return reason;
  if (reason === undefined) return 'nacked';
  try {
    return JSON.stringify(reason) ?? String(reason);
  } catch {
    return String(reason);
  }
}

/**
 * Applies a nack: counts the attempt and either requeues the message at the
 * tail or, when the queue's `dead_letter.max_attempts` is reached, moves it
 * to the dead-letter queue with `x_original_queue`, `x_dead_letter_reason`
 * and `x_dead_letter_time`. Wippy accepts `dead_letter` but never enforces
 * it, so a poison message loops forever there; here it stops.
 *
 * A requeue waits before the next delivery: the delay the handler asked for
 * (see {@link handlerDelay}), else the queue's `retry` policy for this
 * attempt, else none (at once, as without a policy). A dead-letter never
 * waits.
 *
 * Returns the outcome, the delay of a requeue (ms, 0 = at once) and, when
 * the driver settles asynchronously, the promise to wait for.
 */
export function applyNack(
  consumption: Consumption,
  delivery: Delivery,
  reason: unknown,
  sourceQueueId: string,
  ownDriver: Driver,
  deadLetter: DeadLetterTarget | undefined,
  retry: BackoffOptions | undefined,
  logger: Logger,
): { outcome: NackOutcome; delayMs: number; pending: void | Promise<void> } {
  const attempts = attemptsOf(delivery.headers) + 1;
  if (!deadLetter || attempts < deadLetter.maxAttempts) {
    const delayMs = handlerDelay(reason, logger, delivery.id) ?? (retry ? retryDelay(attempts, retry) : 0);
    return { outcome: 'requeued', delayMs, pending: requeue(consumption, delivery, { ...delivery.headers, attempts }, delayMs) };
  }
  const headers: Headers = {
    ...delivery.headers,
    attempts,
    x_original_queue: sourceQueueId,
    x_dead_letter_reason: reasonText(reason),
    x_dead_letter_time: Math.floor(Date.now() / 1000),
  };
  if (deadLetter.driver === ownDriver) {
    return { outcome: 'dead_lettered', delayMs: 0, pending: consumption.deadLetter(delivery, deadLetter.queueName, headers) };
  }
  // Another backend: publish there first, and only then remove the original,
  // so a failure leaves the message in its queue (requeued) rather than nowhere.
  const pending = deadLetter.driver.publish(deadLetter.queueName, [{ id: delivery.id, body: delivery.body, headers }]).then(
    () => consumption.ack(delivery),
    (error: unknown) => {
      logger.error('dead-letter publish failed; message requeued instead', { message_id: delivery.id, error });
      // Back off as for any retry, so a dead-letter backend that is down is not hammered either.
      return requeue(consumption, delivery, { ...delivery.headers, attempts }, retry ? retryDelay(attempts, retry) : 0);
    },
  );
  return { outcome: 'dead_lettered', delayMs: 0, pending };
}

/** A requeue with a delay only when there is one, so drivers see today's call when nothing waits. */
function requeue(consumption: Consumption, delivery: Delivery, headers: Headers, delayMs: number): void | Promise<void> {
  return delayMs > 0 ? consumption.requeue(delivery, headers, delayMs) : consumption.requeue(delivery, headers);
}

/**
 * Logs a nack. A dead-letter is an error. A requeue is a warning at the
 * first failure and at every power of ten (with a hint from ten on), and
 * debug otherwise: a message that keeps failing without a `dead_letter`
 * policy would otherwise flood the log.
 */
export function logNack(
  logger: Logger,
  outcome: NackOutcome,
  fields: { consumer: string; message_id: string; error: string },
  attempts: number,
  deadLetterQueueId?: string,
  delayMs = 0,
): void {
  if (outcome === 'dead_lettered') {
    logger.error('handler failed; message dead-lettered', { ...fields, attempts, dead_letter_queue: deadLetterQueueId });
    return;
  }
  const loud = Number.isInteger(Math.log10(attempts));
  logger[loud ? 'warn' : 'debug']('handler failed; message requeued', {
    ...fields,
    attempts,
    ...(delayMs > 0 ? { retry_in_ms: delayMs } : {}),
    ...(attempts >= 10 && loud ? { hint: 'set dead_letter on the queue to stop retrying a poison message' } : {}),
  });
}
