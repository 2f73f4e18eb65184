import { InvalidMessageError } from '../../errors/message-errors.ts';

/**
 * The fixed ladder of delay levels, and the arguments of a delay queue.
 *
 * RabbitMQ expires messages only at the head of a queue, so one queue that
 * held messages with different TTLs would keep a short one waiting behind
 * a long one. A delay queue therefore holds one level only (its
 * `x-message-ttl`), and every message in it is due in arrival order. A
 * delay is rounded *up* to the next level, so a message is never early,
 * and late by less than an eighth of its delay.
 *
 * @internal
 */

/** Longest AMQP TTL and queue lease this driver writes (RabbitMQ's timers are 32-bit ms). */
const MAX_TIMER_MS = 2 ** 32 - 1;

/** The highest level: the largest number of at most four significant bits below {@link MAX_TIMER_MS} (~46.6 days). */
export const MAX_DELAY_MS = 15 * 2 ** 28;

/** How long an unused delay queue outlives its TTL before the broker deletes it (see {@link delayQueueExpiry}). */
const LEASE_MARGIN_MS = 10 * 60_000;

/**
 * The level for a delay: the smallest number of ms, at least `delayMs`,
 * whose binary form has at most four significant bits (`m * 2^e` with
 * `m` from 8 to 15). Levels below 16 ms are exact; above, the ladder has
 * eight steps per doubling: 1000 ms -> 1024, 30 s -> 30720, 5 min -> 327680.
 *
 * @example
 * ```ts
 * delayLevel(1000) // 1024
 * delayLevel(1024) // 1024
 * delayLevel(1025) // 1152
 * ```
 */
export function delayLevel(delayMs: number): number {
  const d = Math.ceil(delayMs);
  if (d < 16) return Math.max(1, d);
  const unit = 2 ** (Math.floor(Math.log2(d)) - 3);
  // ceil keeps the level >= d even where log2 rounds at a power of two.
  return Math.ceil(d / unit) * unit;
}

/**
 * Name of the delay queue of `queueName` for a level: `<queue>.delay.<ms>`.
 *
 * @example
 * ```ts
 * delayQueueName('tasks', 1024) // 'tasks.delay.1024'
 * ```
 */
export function delayQueueName(queueName: string, level: number): string {
  return `${queueName}.delay.${level}`;
}

/**
 * `x-expires` of a delay queue: twice its TTL plus ten minutes (at most
 * the 32-bit limit), so an unused one goes away by itself. The broker
 * counts only declares and consumers as use, not publishes, so the
 * driver declares a level again before publishing to it once
 * {@link delayQueueRefreshAfter} has passed since it last did: the lease
 * then always outlasts the messages in the queue.
 */
export function delayQueueExpiry(level: number): number {
  return Math.min(MAX_TIMER_MS, 2 * level + LEASE_MARGIN_MS);
}

/** How long after declaring a level the driver declares it again before the next publish to it (half the lease left beyond the TTL). */
export function delayQueueRefreshAfter(level: number): number {
  return Math.floor((delayQueueExpiry(level) - level) / 2);
}

/**
 * `queue.declare` arguments of a delay queue: durable (what waits there
 * must survive a broker restart), one TTL for all its messages, and
 * dead-lettered through the default exchange back to `queueName` when due.
 * A pure function of the queue name and the level, so every process
 * declares the same queue with the same arguments.
 */
export function delayQueueArguments(queueName: string, level: number): { durable: boolean; autoDelete: boolean; arguments: Record<string, unknown> } {
  return {
    durable: true,
    autoDelete: false,
    arguments: {
      'x-message-ttl': level,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queueName,
      'x-expires': delayQueueExpiry(level),
    },
  };
}

/**
 * A delay as whole ms (rounded up, so never early); 0 when absent. Throws
 * `INVALID_MESSAGE` naming `where` for anything but a finite number from 0
 * to {@link MAX_DELAY_MS}, before anything is stored or moved.
 */
export function checkedDelay(delayMs: number | undefined, where: string): number {
  if (delayMs === undefined) return 0;
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
    throw new InvalidMessageError(`${where}: delay must be a finite number of ms from 0 to ${MAX_DELAY_MS} (about 46 days), got ${String(delayMs)}`);
  }
  return Math.ceil(delayMs);
}
