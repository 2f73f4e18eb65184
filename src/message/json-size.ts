/**
 * Sizes of JSON text in UTF-8 bytes, computed without building the text.
 *
 * The message size limit is defined on the JSON encoding (what the broker
 * drivers store), but the in-memory driver never encodes, and encoding a
 * message only to measure it would double the cost of publishing on the
 * drivers that do. So the body-rule walk adds up a cheap upper bound on
 * the way; only a message whose bound passes the limit is measured
 * exactly ({@link exactJsonBytes}).
 */

/** A string JSON would escape somewhere (quote, backslash, control character) or a surrogate (lone ones are escaped). */
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * Below this length a string's bound is `6 * length + 2` (each UTF-16 unit
 * encodes to at most six bytes, `\u001f`): cheaper than measuring. Longer
 * strings are measured, so that one big text field does not make its
 * message look six times its size.
 */
const MEASURE_FROM = 64;

/**
 * Longest JSON text of a finite number: 25 characters, for a negative
 * number from 1e-6 up to 1e-5 with 17 significant digits
 * (`-0.0000012345678901234567`): below 1e21 and from 1e-6 on, JavaScript
 * writes numbers out in full, leading zeros included. The longest
 * exponent forms are shorter (`-2.2250738585072014e-308`, 24).
 */
const MAX_NUMBER_TEXT = 25;

/** Upper bound of a string's JSON size in bytes, quotes included; exact for long strings. */
export function stringBound(s: string): number {
  const n = s.length;
  if (n < MEASURE_FROM) return 6 * n + 2;
  return exactStringBytes(s);
}

/** A string's JSON size in bytes, quotes included. */
export function exactStringBytes(s: string): number {
  // Plain text (the usual case): UTF-8 length plus the quotes, natively.
  if (!NEEDS_CARE.test(s)) return Buffer.byteLength(s, 'utf8') + 2;
  return Buffer.byteLength(JSON.stringify(s), 'utf8');
}

/** Upper bound of a finite number's JSON size; exact for integers below 1e15. */
export function numberBound(v: number): number {
  if (!Number.isInteger(v) || v >= 1e15 || v <= -1e15) return MAX_NUMBER_TEXT;
  let digits = v < 0 ? 2 : 1;
  // Dividing an exact integer by ten never rounds below the next power of ten, so this never undercounts.
  for (let a = Math.abs(v); a >= 10; a /= 10) digits++;
  return digits;
}

/** Exact JSON size in bytes of a value already known to be JSON data. */
export function exactJsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Exact JSON size of a flat header table (string, finite number and
 * boolean values), as `JSON.stringify(headers)` would write it.
 */
export function headersBytes(headers: Readonly<Record<string, string | number | boolean>>): number {
  let size = 2;
  let first = true;
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined) continue;
    size += (first ? 0 : 1) + exactStringBytes(key) + 1;
    first = false;
    size += typeof value === 'string' ? exactStringBytes(value) : String(value).length;
  }
  return size;
}

/** Upper bound of a flat header table's JSON size, cheaper than {@link headersBytes}. */
export function headersBound(headers: Readonly<Record<string, string | number | boolean>>): number {
  let size = 2;
  for (const key in headers) {
    const value = headers[key];
    // Key, colon, value, comma.
    size += stringBound(key) + 2 + (typeof value === 'string' ? stringBound(value) : typeof value === 'number' ? numberBound(value) : 5);
  }
  return size;
}

/** Length of the W3C `traceparent` value every message gets unless given one. */
const TRACEPARENT_LENGTH = 55;

/**
 * Exact JSON size of the headers a message gets when its publisher gave
 * none: `{"timestamp":<seconds>,"traceparent":"<55 characters>"}`.
 */
export function defaultHeadersBytes(timestamp: number): number {
  return '{"timestamp":'.length + String(timestamp).length + ',"traceparent":'.length + TRACEPARENT_LENGTH + 2 + '}'.length;
}

/** Upper bound of {@link defaultHeadersBytes} for any timestamp below 1e15. */
export const DEFAULT_HEADERS_BOUND = defaultHeadersBytes(1e14);
