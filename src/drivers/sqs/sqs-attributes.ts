import { isUtf8 } from 'node:buffer';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { HeaderValue, Headers } from '../../message/message.ts';
import { InvalidMessageError } from '../../errors/message-errors.ts';

/**
 * Headers as SQS message attributes, in the format of Wippy's SQS driver:
 * every header under its own name, a boolean as DataType `String.bool`
 * (`"true"`/`"false"`), a number as `Number`, anything else as `String`;
 * read back by DataType (`Number` to a number, `String.bool` to a boolean).
 *
 * actorq adds attributes of its own, under the `actorq.` prefix that
 * publishers may not use: `actorq.id` (the message ID), `actorq.due` (when a
 * delay longer than SQS's 15 minutes ends) and `actorq.headers` (headers
 * that did not fit, as one JSON object).
 */

/** SQS's limit of message attributes per message. */
export const MAX_ATTRIBUTES = 10;

/** The attribute carrying the actorq message ID. */
export const ID_ATTRIBUTE = 'actorq.id';

/** The attribute carrying the due time (Unix ms) of a delay longer than SQS allows in one step. */
export const DUE_ATTRIBUTE = 'actorq.due';

/** The attribute carrying, as a JSON object, the headers that did not get an attribute of their own. */
export const PACK_ATTRIBUTE = 'actorq.headers';

/** Headers that steer SendMessage fields instead of becoming attributes. */
export const DELAY_HEADER = 'sqs.delay_seconds';
export const GROUP_HEADER = 'sqs.message_group_id';
export const DEDUP_HEADER = 'sqs.message_deduplication_id';

/** The `sqs.*` headers that steer SendMessage fields. */
export const STEERING_HEADERS: ReadonlySet<string> = new Set([DELAY_HEADER, GROUP_HEADER, DEDUP_HEADER]);

/** What to do with headers that cannot each have an attribute: refuse the message, or pack them. */
export type Overflow = 'error' | 'pack';

/** Characters SQS accepts in bodies and string attributes: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD and #x10000-#x10FFFF. */
const INVALID_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Why `name` cannot be an SQS attribute name, or `undefined`. */
export function attributeNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 256) return 'must be 1 to 256 characters long as an SQS message attribute name';
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return 'may only hold letters, digits, "_", "-" and "." as an SQS message attribute name';
  if (/^(aws|amazon)\./i.test(name)) return 'may not start with "AWS." or "Amazon." (reserved by SQS)';
  if (name.startsWith('.') || name.endsWith('.') || name.includes('..')) return 'may not start or end with "." nor hold ".." as an SQS message attribute name';
  return undefined;
}

/** Why `value` cannot be an SQS attribute value, or `undefined`. */
function valueProblem(value: HeaderValue): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'is not a finite number';
  if (typeof value !== 'string') return undefined;
  if (value.length === 0) return 'is an empty string, which SQS does not store';
  if (INVALID_CHAR.test(value)) return 'holds a character SQS does not store (control characters, U+FFFE, U+FFFF, lone surrogates)';
  return undefined;
}

/**
 * Makes JSON text storable by SQS and its emulators: U+FFFE and U+FFFF
 * (which `JSON.stringify` leaves as they are and SQS refuses) and
 * characters beyond U+FFFF (which SQS accepts but some emulators refuse)
 * become `\uXXXX` escapes. The JSON value is the same.
 */
export function storableJson(json: string): string {
  return /[\uD800-\uDFFF\uFFFE\uFFFF]/.test(json) ? json.replace(/[\uD800-\uDFFF\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`) : json;
}

/**
 * A number as SQS's `Number` type wants it: plain decimal digits, since
 * `String(1e21)` gives exponent notation that other readers may refuse.
 */
export function formatNumber(n: number): string {
  const s = String(n === 0 ? 0 : n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = '', exp] = m;
  const digits = lead! + frac;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  return `${sign}${digits.padEnd(point, '0')}${digits.length > point ? `.${digits.slice(point)}` : ''}`;
}

/** One header value as a typed attribute. */
export function encodeValue(value: HeaderValue): MessageAttributeValue {
  if (typeof value === 'boolean') return { DataType: 'String.bool', StringValue: value ? 'true' : 'false' };
  if (typeof value === 'number') return { DataType: 'Number', StringValue: formatNumber(value) };
  return { DataType: 'String', StringValue: value };
}

/**
 * Attributes for `headers` (but the `skip` ones, which steer fields), after the
 * `internal` ones (ID, due time). Within {@link MAX_ATTRIBUTES} every header
 * gets its own; beyond, or for a header SQS cannot store under its name,
 * `overflow` decides: `error` throws, `pack` puts the rest into
 * {@link PACK_ATTRIBUTE}.
 *
 * @param where what is being sent, for error messages (`publish to tasks`).
 * @throws InvalidMessageError in `error` mode, naming the header or the limit.
 */
export function encodeAttributes(
  headers: Headers,
  internal: Record<string, MessageAttributeValue>,
  overflow: Overflow,
  where: string,
  skip: ReadonlySet<string>,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = { ...internal };
  let used = 0;
  for (const _ in internal) used++;
  const own: string[] = [];
  let misfits: string[] | undefined;
  for (const key in headers) {
    if (skip.has(key)) continue;
    const value = headers[key]!;
    const problem = key.startsWith('actorq.') ? 'uses the "actorq." prefix, which actorq keeps for its own attributes' : (attributeNameProblem(key) ?? valueProblem(value));
    if (problem === undefined) own.push(key);
    else if (overflow === 'error') throw new InvalidMessageError(`${where}: header "${key}" ${problem}`);
    else (misfits ??= []).push(key);
  }
  if (misfits === undefined && used + own.length <= MAX_ATTRIBUTES) {
    for (const key of own) out[key] = encodeValue(headers[key]!);
    return out;
  }
  if (overflow === 'error') {
    const excess = used + own.length - MAX_ATTRIBUTES;
    throw new InvalidMessageError(
      `${where}: ${own.length} headers need ${used + own.length} SQS message attributes with actorq's own (${Object.keys(internal).join(', ')}); SQS carries at most ${MAX_ATTRIBUTES}: drop ${excess} header(s), or set driver_options.sqs.header_overflow: pack`,
    );
  }
  // One attribute is kept for the pack; headers get the others in their order.
  const room = MAX_ATTRIBUTES - used - 1;
  const pack: Record<string, HeaderValue> = {};
  own.forEach((key, i) => {
    if (i < room) out[key] = encodeValue(headers[key]!);
    else pack[key] = headers[key]!;
  });
  for (const key of misfits ?? []) pack[key] = headers[key]!;
  out[PACK_ATTRIBUTE] = { DataType: 'String', StringValue: storableJson(JSON.stringify(pack)) };
  return out;
}

/** What {@link decodeAttributes} found besides headers. */
export interface InternalAttributes {
  /** `actorq.id`, when it is a non-empty string. */
  id?: string;
  /** `actorq.due` (Unix ms), when it is a number. */
  due?: number;
}

/**
 * Reads attributes into `headers` (total: whatever another program wrote,
 * it never throws). Typed as Wippy types them; `Binary` becomes UTF-8 text,
 * or base64 when it is not UTF-8; an unknown DataType with a string value
 * stays a string. The packed headers of {@link PACK_ATTRIBUTE} are merged
 * under their names; well-formed `actorq.id` and `actorq.due` are returned
 * apart, malformed ones stay headers (nothing is dropped).
 */
export function decodeAttributes(attributes: Record<string, MessageAttributeValue> | undefined, headers: Headers): InternalAttributes {
  const internal: InternalAttributes = {};
  if (attributes === undefined || attributes === null) return internal;
  let pack: string | undefined;
  for (const key in attributes) {
    const value = decodeValue(attributes[key]);
    if (value === undefined) continue;
    if (key === ID_ATTRIBUTE && typeof value === 'string' && value !== '') internal.id = value;
    else if (key === DUE_ATTRIBUTE && typeof value === 'number') internal.due = value;
    else if (key === PACK_ATTRIBUTE && typeof value === 'string') pack = value;
    else headers[key] = value;
  }
  if (pack !== undefined && !unpack(pack, headers)) headers[PACK_ATTRIBUTE] = pack;
  return internal;
}

/** Merges a packed JSON object into `headers` (own attributes win); false when it is not one. */
function unpack(text: string, headers: Headers): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (key in headers) continue;
    if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) headers[key] = value;
  }
  return true;
}

/** One attribute's value by its DataType; `undefined` when it carries none. */
function decodeValue(v: MessageAttributeValue | undefined): HeaderValue | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const type = typeof v.DataType === 'string' ? v.DataType : '';
  const text = typeof v.StringValue === 'string' ? v.StringValue : undefined;
  if (type === 'Number' || type.startsWith('Number.')) {
    if (text === undefined) return undefined;
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) ? n : text;
  }
  if (type === 'String.bool') return text === 'true';
  if (type === 'Binary' || type.startsWith('Binary.')) {
    const bytes = v.BinaryValue;
    if (!(bytes instanceof Uint8Array)) return text;
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return isUtf8(buffer) ? buffer.toString('utf8') : buffer.toString('base64');
  }
  return text;
}
