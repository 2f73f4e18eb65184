/**
 * Delays as callers write them: a delayed publish (`{ delay: '5s' }`, the
 * `delay` header), a handler's own retry delay (`nack({ delay })`, an error's
 * `retryAfter`). One parser, so every spelling means the same and every
 * mistake reads the same.
 */
import { InvalidMessageError } from '../errors/message-errors.ts';
import { MAX_DURATION_MS, parseDuration } from '../util/duration.ts';

/** A delay: a number of milliseconds, or a Go-style duration (`'500ms'`, `'30s'`, `'1m30s'`). */
export type DelayValue = number | string;

/**
 * Longest delay accepted: what one Node timer can wait (about 24.8 days).
 * The in-memory driver waits with a timer; a longer delay there would fire
 * at once, so it is refused everywhere rather than meaning different things
 * on different drivers.
 */
export const MAX_DELAY_MS = MAX_DURATION_MS;

/**
 * Why `value` is not a delay, or `undefined` when it is one. Exposed for
 * callers that must not throw (a settle from a timer, an error's `retryAfter`).
 */
export function delayProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') {
    return `must be a number of milliseconds or a duration like "30s", got ${value === null ? 'null' : typeof value}`;
  }
  const ms = parseDuration(value);
  // String(NaN) reads better than JSON's "null"; strings keep their quotes.
  const shown = typeof value === 'number' ? String(value) : JSON.stringify(value);
  if (ms === undefined) return `must be a number of milliseconds (0 or more) or a duration like "500ms", "30s", "1m30s", got ${shown}`;
  if (ms > MAX_DELAY_MS) return `${shown} exceeds the maximum of ${MAX_DELAY_MS}ms (about 24.8 days)`;
  return undefined;
}

/**
 * A delay in whole milliseconds, rounded up (a delay is a lower bound: never
 * early). `undefined` stays `undefined`.
 *
 * @param where what the delay belongs to, e.g. `publish to app:tasks: option delay`.
 * @throws InvalidMessageError `<where> must be ...` for anything that is not
 *   a delay from 0 to {@link MAX_DELAY_MS}.
 * @example
 * ```ts
 * parseDelay('1m30s', 'publish to app:q: option delay') // 90000
 * parseDelay(2.5, 'x') // 3
 * ```
 */
export function parseDelay(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  const problem = delayProblem(value);
  if (problem !== undefined) throw new InvalidMessageError(`${where} ${problem}`);
  return Math.ceil(parseDuration(value as DelayValue)!);
}

/** {@link parseDelay} that returns `undefined` instead of throwing (for values that may come from anywhere). */
export function tryParseDelay(value: unknown): number | undefined {
  if (value === undefined || delayProblem(value) !== undefined) return undefined;
  return Math.ceil(parseDuration(value as DelayValue)!);
}
