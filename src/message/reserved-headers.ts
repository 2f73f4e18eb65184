import type { Headers } from './message.ts';
import { attemptsOf } from './attempts.ts';

/**
 * Makes the reserved headers of a message read from outside (written by
 * another program, or by hand) trustworthy, in place: `attempts` stays only
 * as a positive integer (anything else counts as 0, so a forged `-5` cannot
 * buy extra deliveries), `x_original_queue` and `x_dead_letter_reason` only
 * as strings, `x_dead_letter_time` only as a non-negative integer.
 */
export function sanitizeReservedHeaders(headers: Headers): Headers {
  if ('attempts' in headers) {
    const attempts = attemptsOf(headers);
    if (attempts > 0) headers['attempts'] = attempts;
    else delete headers['attempts'];
  }
  for (const key of ['x_original_queue', 'x_dead_letter_reason'] as const) {
    if (key in headers && typeof headers[key] !== 'string') delete headers[key];
  }
  const time = headers['x_dead_letter_time'];
  if (time !== undefined && !(typeof time === 'number' && Number.isSafeInteger(time) && time >= 0)) delete headers['x_dead_letter_time'];
  return headers;
}
