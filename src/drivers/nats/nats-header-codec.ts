import type { HeaderValue, Headers } from '../../message/message.ts';

/**
 * How actorq headers travel as NATS headers, with their types.
 *
 * NATS headers are text (`Name: value` lines, values trimmed, no CR/LF),
 * actorq headers are strings, numbers and booleans. Each actorq header
 * becomes one NATS header, readable by any NATS tool:
 *
 * - a number is written as JSON writes it (`42`, `1.5`, `1e+21`) and read
 *   back as a number; `true` / `false` likewise as booleans;
 * - a string is written as it is, unless reading it back would give
 *   something else (it looks like a number or a boolean, starts with `"`,
 *   has leading or trailing whitespace or a control character): then it is
 *   written JSON-quoted (`"42"`, `" padded "`, `"two\nlines"`) and read back
 *   by `JSON.parse`.
 *
 * A name that NATS cannot carry (outside printable ASCII, or with `:`), or
 * that starts with `Nats-` or `Actorq-` (the server's and this driver's
 * own), is written as `Actorq-Key-` plus the name percent-encoded as UTF-8.
 *
 * A header written by another program is read by the same rules: `42`
 * becomes a number. Of a header given several times, the first value
 * counts. `Nats-*` headers are the server's and are not handed to handlers.
 */

/** Header carrying the actorq message ID when it differs from `Nats-Msg-Id` (copies of a message). */
export const ID_HEADER = 'Actorq-Id';
/** Header of a delayed message: its due time, in ms since the epoch. */
export const NOT_BEFORE_HEADER = 'Actorq-Not-Before';
/** Prefix of an escaped header name. */
const KEY_PREFIX = 'Actorq-Key-';

/** JSON's number grammar: what a number header is written as. */
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** Characters a string header cannot carry as it is: control characters, and lone surrogates (UTF-8 cannot hold them; JSON escapes them). */
const NEEDS_QUOTES = /[\x00-\x1f\x7f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The NATS header name for an actorq header name. */
export function encodeName(name: string): string {
  return isPlainName(name) ? name : KEY_PREFIX + escapeName(name);
}

/** The text of an actorq header value. */
export function encodeValue(value: HeaderValue): string {
  if (typeof value !== 'string') return String(value);
  return quoted(value) ? JSON.stringify(value) : value;
}

/** An actorq header name from a NATS header name; `undefined` for the server's and this driver's own headers. */
export function decodeName(name: string): string | undefined {
  const c = name.charCodeAt(0);
  // Only names starting with N/n or A/a can be reserved: one compare for the rest.
  if (c === 78 || c === 110 || c === 65 || c === 97) {
    const lower = name.toLowerCase();
    if (lower.startsWith('nats-')) return undefined;
    if (lower.startsWith('actorq-')) {
      if (!lower.startsWith('actorq-key-')) return undefined;
      try {
        return decodeURIComponent(name.slice(KEY_PREFIX.length));
      } catch {
        return name; // not ours after all: keep it as written
      }
    }
  }
  return name;
}

/** A header value from its text (see the module comment). */
export function decodeValue(text: string): HeaderValue {
  const c = text.charCodeAt(0);
  if (c === 116 /* t */ && text === 'true') return true;
  if (c === 102 /* f */ && text === 'false') return false;
  if (c === 34 /* " */) {
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v === 'string') return v;
    } catch {
      // Not JSON: a string that happens to start with a quote.
    }
    return text;
  }
  if ((c === 45 || (c >= 48 && c <= 57)) && NUMBER.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return n;
  }
  return text;
}

/**
 * The NATS header record (name -> values) for actorq headers, ready for
 * `MsgHdrsImpl.fromRecord`: every name and value is already valid.
 */
export function encodeHeaders(headers: Headers): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const key in headers) out[encodeName(key)] = [encodeValue(headers[key]!)];
  return out;
}

function quoted(s: string): boolean {
  if (s.length === 0) return false;
  const c = s.charCodeAt(0);
  if (c === 34 /* " */) return true;
  if ((c === 116 && s === 'true') || (c === 102 && s === 'false')) return true;
  if ((c === 45 || (c >= 48 && c <= 57)) && NUMBER.test(s)) return true;
  // NATS trims values: leading or trailing whitespace would be lost.
  if (s.charCodeAt(s.length - 1) <= 32 || c <= 32) return true;
  return NEEDS_QUOTES.test(s);
}

function isPlainName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126 || c === 58 /* : */) return false;
  }
  const c = name.charCodeAt(0);
  if (c !== 78 && c !== 110 && c !== 65 && c !== 97) return true;
  const lower = name.toLowerCase();
  return !lower.startsWith('nats-') && !lower.startsWith('actorq-');
}

const utf8 = new TextEncoder();

/** Percent-encodes every UTF-8 byte outside `A-Z a-z 0-9 - _ . ~` (a lone surrogate becomes U+FFFD, as UTF-8 must). */
function escapeName(name: string): string {
  let out = '';
  for (const b of utf8.encode(name)) {
    const plain = (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b === 45 || b === 95 || b === 46 || b === 126;
    out += plain ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
