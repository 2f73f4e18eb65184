import { randomUUID } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { MessageProperties } from 'amqplib';
import type { Headers, Message } from '../../message/message.ts';
import { sanitizeReservedHeaders } from '../../message/reserved-headers.ts';
import { attemptsOf } from '../../message/attempts.ts';
import { plainValue } from './header-table.ts';
import { propertyHeaders } from './property-headers.ts';

/**
 * Headers the broker or its plugins add to a delivery. They describe the
 * broker's bookkeeping, not the publisher's message, so they are not handed
 * to handlers and copies of the message do not carry them.
 * `x-delivery-count` (quorum queues) is read into `attempts` instead.
 */
export const BROKER_HEADERS: ReadonlySet<string> = new Set([
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
 * The body is decoded by the queue's codec, JSON, whatever the content
 * type says (as Wippy decodes it): a UTF-8 body that is JSON and a value
 * `publish` would accept (not `null`, not an empty object or array).
 * Everything else (empty, not UTF-8, not JSON) is undecodable. Headers
 * are read defensively (see {@link decodeHeaders}).
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch (error) {
    // The content type is named because it is the likeliest explanation (another codec).
    const type = typeof contentType === 'string' ? contentType : 'absent';
    throw new Undecodable(`body is not valid JSON (content-type ${type}): ${(error as Error).message}`);
  }
  const empty = emptiness(parsed);
  if (empty === undefined) return parsed;
  throw new Undecodable(`body is ${empty}, which publish refuses`);
}

/** Why a JSON value carries nothing (`null`, `{}`, `[]`), or `undefined` when it carries something. */
function emptiness(value: unknown): string | undefined {
  if (value === null) return 'JSON null';
  if (typeof value !== 'object') return undefined;
  for (const _ in value) return undefined;
  return Array.isArray(value) ? 'an empty array' : 'an empty object';
}

/**
 * A delivery's headers, as Wippy's driver reports them: first the
 * properties (neutral headers, `amqp.priority`, `amqp.delivery_mode`,
 * `amqp.expiration`; see `property-headers.ts`), then the header table
 * over them. Table values of every numeric width come back as numbers;
 * nested tables, arrays and other values without a plain equivalent are
 * left out; broker bookkeeping is left out; `x-delay` comes back as
 * `amqp.x_delay`. Reserved headers from outside are sanitised (a forged
 * `attempts: -5` counts as 0), and on a quorum queue the broker's
 * `x-delivery-count` (returns it counted: nacks with requeue, consumers
 * gone) is added to `attempts`, so failures count whoever nacked.
 */
export function decodeHeaders(properties: MessageProperties): Headers {
  const headers: Headers = {};
  propertyHeaders(properties, headers);
  const table = properties.headers as unknown;
  let returned = 0;
  if (typeof table === 'object' && table !== null && !Array.isArray(table)) {
    const t = table as Record<string, unknown>;
    for (const key in t) {
      const value = t[key];
      if (BROKER_HEADERS.has(key)) {
        if (key === 'x-delivery-count' && typeof value === 'number' && Number.isSafeInteger(value) && value > 0) returned = value;
        continue;
      }
      if (key === 'x-delay') {
        if (typeof value === 'number') headers['amqp.x_delay'] = Math.abs(value);
        continue;
      }
      const plain = plainValue(value);
      if (plain !== undefined) headers[key] = plain;
    }
  }
  // Written by actorq, but this message may come from anyone.
  sanitizeReservedHeaders(headers);
  if (returned > 0) headers['attempts'] = attemptsOf(headers) + returned;
  return headers;
}
