import type { Consumption, Delivery, Driver } from '../drivers/driver.ts';
import type { Headers } from '../message/message.ts';
import { attemptsOf } from '../message/attempts.ts';
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

/** Text of a nack reason for the `x_dead_letter_reason` header and logs. */
export function reasonText(reason: unknown): string {
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
 * Returns the outcome and, when the driver settles asynchronously, the
 * promise to wait for.
 */
export function applyNack(
  consumption: Consumption,
  delivery: Delivery,
  reason: unknown,
  sourceQueueId: string,
  ownDriver: Driver,
  deadLetter: DeadLetterTarget | undefined,
  logger: Logger,
): { outcome: NackOutcome; pending: void | Promise<void> } {
  const attempts = attemptsOf(delivery.headers) + 1;
  if (!deadLetter || attempts < deadLetter.maxAttempts) {
    return { outcome: 'requeued', pending: consumption.requeue(delivery, { ...delivery.headers, attempts }) };
  }
  const headers: Headers = {
    ...delivery.headers,
    attempts,
    x_original_queue: sourceQueueId,
    x_dead_letter_reason: reasonText(reason),
    x_dead_letter_time: Math.floor(Date.now() / 1000),
  };
  if (deadLetter.driver === ownDriver) {
    return { outcome: 'dead_lettered', pending: consumption.deadLetter(delivery, deadLetter.queueName, headers) };
  }
  // Another backend: publish there first, and only then remove the original,
  // so a failure leaves the message in its queue (requeued) rather than nowhere.
  const pending = deadLetter.driver.publish(deadLetter.queueName, [{ id: delivery.id, body: delivery.body, headers }]).then(
    () => consumption.ack(delivery),
    (error: unknown) => {
      logger.error('dead-letter publish failed; message requeued instead', { message_id: delivery.id, error });
      return consumption.requeue(delivery, { ...delivery.headers, attempts });
    },
  );
  return { outcome: 'dead_lettered', pending };
}

/**
 * Logs a nack. A dead-letter is an error. A requeue is a warning at the
 * first failure and at every power of ten (with a hint from ten on), and
 * debug otherwise: a message that keeps failing without a `dead_letter`
 * policy would otherwise flood the log.
 */
export function logNack(logger: Logger, outcome: NackOutcome, fields: { consumer: string; message_id: string; error: string }, attempts: number, deadLetterQueueId?: string): void {
  if (outcome === 'dead_lettered') {
    logger.error('handler failed; message dead-lettered', { ...fields, attempts, dead_letter_queue: deadLetterQueueId });
    return;
  }
  const loud = Number.isInteger(Math.log10(attempts));
  logger[loud ? 'warn' : 'debug']('handler failed; message requeued', {
    ...fields,
    attempts,
    ...(attempts >= 10 && loud ? { hint: 'set dead_letter on the queue to stop retrying a poison message' } : {}),
  });
}
