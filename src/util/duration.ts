import { z } from 'zod';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parses a Go-style duration (`500ms`, `10s`, `1m30s`, `1.5h`) into
 * milliseconds. A bare number is taken as milliseconds. Returns
 * `undefined` for anything else, so callers can report where it was.
 *
 * @example
 * ```ts
 * parseDuration('1m30s') // 90000
 * ```
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  const s = text.trim();
  if (s === '0') return 0;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  return pos === 0 ? undefined : total;
}

/**
 * The longest delay a Node timer can wait (2^31 - 1 ms, about 24.8 days).
 * A longer one fires after 1 ms instead, so a `stop_timeout: 600h` would
 * give up at once: such values are refused rather than silently shortened.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * A zod schema accepting a duration string or a number of milliseconds,
 * producing milliseconds, at most {@link MAX_DURATION_MS}.
 */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid duration ${JSON.stringify(value)}: expected a number of milliseconds or a string like "500ms", "10s", "1m30s"`,
    });
    return z.NEVER;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({
      code: 'custom',
      message: `duration ${JSON.stringify(value)} exceeds the maximum of ${MAX_DURATION_MS}ms (about 24.8 days, the longest a timer can wait)`,
    });
    return z.NEVER;
  }
  return ms;
});
