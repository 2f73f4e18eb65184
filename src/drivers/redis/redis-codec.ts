import type { HeaderValue, Headers } from '../../message/message.ts';
import { RedisDelivery } from './redis-delivery.ts';

/**
 * How a message is stored in Redis: `[id, headers, body]` as JSON, so one
 * `JSON.parse` restores all three with their types (headers are
 * string/number/boolean, bodies JSON). When the queue has a `message_ttl`,
 * the publish script prepends `<expires-at-ms>|`; a plain entry always
 * starts with `[`, so the two are told apart by the first byte.
 */
export function encodeMessage(id: string, headers: Headers, body: unknown): string {
  return JSON.stringify([id, headers, body]);
}

/**
 * A stored entry that is not an actorq message (written by another
 * program, or damaged): what it was and why it cannot be delivered.
 */
export class MalformedEntry {
  /** The entry as read from Redis. */
  readonly raw: string;
  /** Why it cannot be decoded, starting with `malformed entry: `. */
  readonly reason: string;
  /** Processing-hash token under which the fetch placed it. */
  readonly token: number;

  constructor(raw: string, reason: string, token: number) {
    this.raw = raw;
    this.reason = `malformed entry: ${reason}`;
    this.token = token;
  }
}

/**
 * Decodes one stored entry. Total: it never throws, whatever the bytes.
 * The entry is either a {@link RedisDelivery} or a {@link MalformedEntry}
 * naming what is wrong:
 * - framing: empty, or neither `[` nor `<digits>|[` at the start;
 * - JSON that does not parse (the parser's message, with its position);
 * - shape: not `[id, headers, body]`, an id that is not a non-empty string,
 *   a `null` body (publish never stores one).
 *
 * Headers are not a reason to refuse a message whose id and body are fine:
 * missing, `null` or non-object headers decode as `{}`, header values that
 * are not string/number/boolean are dropped, and an `attempts` that is not
 * a non-negative integer is dropped (counts as 0), so a foreign value can
 * neither crash a retry nor skew `max_attempts`.
 *
 * @example
 * ```ts
 * decodeEntry('["m1",{},{"n":1}]', 7)   // RedisDelivery { id: 'm1', body: { n: 1 }, token: 7 }
 * decodeEntry('hello', 8).reason       // 'malformed entry: not actorq framing: starts with "h", expected "[" or "<expires-at-ms>|["'
 * ```
 */
export function decodeEntry(raw: string, token: number): RedisDelivery | MalformedEntry {
  if (raw.length === 0) return new MalformedEntry(raw, 'empty entry', token);
  let expiry = '';
  let json = raw;
  if (raw.charCodeAt(0) !== 91 /* [ */) {
    const bar = stampEnd(raw);
    if (bar < 0 || raw.charCodeAt(bar + 1) !== 91) {
      return new MalformedEntry(raw, `not actorq framing: starts with ${JSON.stringify(raw.slice(0, 1))}, expected "[" or "<expires-at-ms>|["`, token);
    }
    expiry = raw.slice(0, bar + 1);
    json = raw.slice(bar + 1);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    // V8 quotes the start of the input; a reason is a line, not a copy of the entry.
    return new MalformedEntry(raw, `invalid JSON: ${clip((e as Error).message, 200)}`, token);
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) {
    return new MalformedEntry(raw, `wrong shape: expected [id, headers, body], got ${Array.isArray(parsed) ? `an array of ${parsed.length}` : kindOf(parsed)}`, token);
  }
  const id: unknown = parsed[0];
  if (typeof id !== 'string' || id.length === 0) {
    return new MalformedEntry(raw, `wrong shape: id must be a non-empty string, got ${typeof id === 'string' ? 'an empty string' : kindOf(id)}`, token);
  }
  const body: unknown = parsed[2];
  if (body === null) return new MalformedEntry(raw, `wrong shape: body of message ${id} is null`, token);
  return new RedisDelivery(id, headersOf(parsed[1]), body, expiry, token);
}

/** Index of the `|` ending a `<digits>|` TTL stamp, or -1 when the entry does not start with one. */
function stampEnd(raw: string): number {
  // 16 digits cover every millisecond timestamp for the next 300,000 years.
  const limit = Math.min(raw.length, 17);
  for (let i = 0; i < limit; i++) {
    const c = raw.charCodeAt(i);
    if (c === 124 /* | */) return i > 0 ? i : -1;
    if (c < 48 || c > 57) return -1;
  }
  return -1;
}

/**
 * Headers as stored, when they are all valid (the common case: no copy),
 * else a sanitised copy.
 */
function headersOf(value: unknown): Headers {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const h = value as Record<string, unknown>;
  for (const key in h) {
    if (!isHeaderValue(h[key])) return sanitise(h);
  }
  const attempts = h['attempts'];
  if (attempts !== undefined && !isAttempts(attempts)) return sanitise(h);
  return h as Headers;
}

function sanitise(h: Record<string, unknown>): Headers {
  const out: Headers = {};
  for (const key in h) {
    const v = h[key];
    // `__proto__` as a plain assignment would set the prototype, not a header.
    if (key === '__proto__' || !isHeaderValue(v)) continue;
    if (key === 'attempts' && !isAttempts(v)) continue;
    out[key] = v;
  }
  return out;
}

function isHeaderValue(v: unknown): v is HeaderValue {
  const t = typeof v;
  return t === 'string' || t === 'boolean' || (t === 'number' && Number.isFinite(v));
}

function isAttempts(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
