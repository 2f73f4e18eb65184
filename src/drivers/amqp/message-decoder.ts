import { randomUUID } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { MessageProperties } from 'amqplib';
import type { Headers, Message } from '../../message/message.ts';
import { sanitizeReservedHeaders } from '../../message/reserved-headers.ts';

/**
 * Headers the broker or its plugins add to a delivery. They describe the
 * broker's bookkeeping, not the publisher's message, so they are not handed
 * to handlers (and would otherwise be written back on a requeue).
 */
const BROKER_HEADERS: ReadonlySet<string> = new Set([
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
  'x-delivery-count',
  'x-received-from',
]);

/**
 * Reads a delivery back into `{ id, body, headers }`, or says why it
 * cannot: the result is a {@link Message}, or a string giving the reason
 * (one return type rather than a wrapper object: this runs per message).
 * Total: whatever another program put on the queue, it never throws.
 *
 * What decodes, compatible with Wippy (whose JSON codec decodes a body
 * whatever its content type says):
 * - a UTF-8 body that is JSON and a value `publish` would accept (not
 *   `null`, not an empty object or array), whatever the content type;
 * - with a `text/*` content type, any other UTF-8 text, as a string body.
 *
 * Everything else (empty, not UTF-8, not JSON without a text type) is
 * undecodable. Headers are read defensively: a missing or odd header
 * table counts as empty, values AMQP types cannot map to plain ones are
 * dropped, and reserved headers from outside are sanitised (a forged
 * `attempts: -5` counts as 0).
 */
export function decodeDelivery(content: Buffer, properties: MessageProperties): Message | string {
  try {
    const body = decodeBody(content, properties?.contentType);
    const id = typeof properties?.messageId === 'string' && properties.messageId !== '' ? properties.messageId : randomUUID();
    return { id, body, headers: decodeHeaders(properties ?? ({} as MessageProperties)) };
  } catch (error) {
    if (error instanceof Undecodable) return error.message;
    return `cannot be decoded: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Thrown inside this module only, for a delivery that is not a message. */
class Undecodable extends Error {}

function decodeBody(content: Buffer, contentType: unknown): unknown {
  if (!Buffer.isBuffer(content) || content.length === 0) throw new Undecodable('body is empty');
  if (!isUtf8(content)) throw new Undecodable('body is not valid UTF-8');
  const text = content.toString('utf8');
  const isText = typeof contentType === 'string' && /^\s*text\//i.test(contentType);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    if (isText) return text;
    const type = typeof contentType === 'string' ? contentType : 'absent';
    throw new Undecodable(`body is not valid JSON (content-type ${type}): ${(error as Error).message}`);
  }
  const empty = emptiness(parsed);
  if (empty === undefined) return parsed;
  if (isText) return text;
  throw new Undecodable(`body is ${empty}, which publish refuses`);
}

/** Why a JSON value carries nothing (`null`, `{}`, `[]`), or `undefined` when it carries something. */
function emptiness(value: unknown): string | undefined {
  if (value === null) return 'JSON null';
  if (typeof value !== 'object') return undefined;
  for (const _ in value) return undefined;
  return Array.isArray(value) ? 'an empty array' : 'an empty object';
}

/** AMQP headers and steering properties back into actorq headers. */
export function decodeHeaders(properties: MessageProperties): Headers {
  const headers: Headers = {};
  const table = properties.headers as unknown;
  if (typeof table === 'object' && table !== null && !Array.isArray(table)) {
    const t = table as Record<string, unknown>;
    for (const key in t) {
      if (BROKER_HEADERS.has(key)) continue;
      const value = t[key];
      if (key === 'x-delay') {
        if (typeof value === 'number') headers['amqp.x_delay'] = Math.abs(value);
        continue;
      }
      const plain = plainValue(value);
      if (plain !== undefined) headers[key] = plain;
    }
    // Written by actorq, but this message may come from anyone.
    sanitizeReservedHeaders(headers);
  }
  // Steering properties come back under the names they were given, so a
  // requeued message keeps its priority, encoding and mode.
  if (typeof properties.priority === 'number') headers['amqp.priority'] = properties.priority;
  if (properties.expiration !== undefined && properties.expiration !== null) {
    const ms = Number(properties.expiration);
    if (Number.isFinite(ms)) headers['amqp.expiration'] = ms;
  }
  if (properties.deliveryMode === 1) headers['amqp.delivery_mode'] = 1;
  if (typeof properties.contentEncoding === 'string') headers['amqp.content_encoding'] = properties.contentEncoding;
  return headers;
}

/** A header value as a string, number or boolean; `undefined` for tables, arrays and other AMQP types. */
function plainValue(value: unknown): string | number | boolean | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'bigint':
      return Number(value);
    case 'object':
      if (value === null) return undefined;
      if (Buffer.isBuffer(value)) return value.toString('utf8');
      // amqplib's typed wrapper, e.g. an AMQP timestamp: { '!': 'timestamp', value: 1700000000 }
      {
        const typed = value as { '!'?: unknown; value?: unknown };
        return typed['!'] !== undefined && typeof typed.value === 'number' ? typed.value : undefined;
      }
    default:
      return undefined;
  }
}
