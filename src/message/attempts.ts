import type { Headers } from './message.ts';

/**
 * Failed deliveries recorded on a message so far, read defensively: the
 * header may have been written by another program, so anything that is not
 * a non-negative safe integer (a string, `-5`, `1.5`, a missing or null
 * header table) counts as 0 rather than skewing `max_attempts`.
 */
export function attemptsOf(headers: Headers | null | undefined): number {
  const value = headers?.['attempts'];
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
}
