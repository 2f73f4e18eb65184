import type { MessageProperties, Options } from 'amqplib';
import type { Headers } from '../../message/message.ts';

/*
 * Neutral headers that travel in AMQP properties, both ways, as Wippy's
 * AMQP driver maps them: a Wippy service and an actorq service on one
 * queue see the same headers, and Go code, RPC through `reply_to` and
 * broker tools see the same properties.
 *
 * | header           | property          |
 * |------------------|-------------------|
 * | `correlation_id` | `correlation-id`  |
 * | `reply_to`       | `reply-to`        |
 * | `message_type`   | `type`            |
 * | `content_type`   | `content-type`    |
 * | `encoding`       | `content-encoding`|
 * | `timestamp`      | `timestamp` (Unix seconds) |
 *
 * On consume, `amqp.priority` and `amqp.delivery_mode` are always
 * reported (0 when the property is absent) and `amqp.expiration` is the
 * property's string, as Wippy reports them.
 */

/** String properties and the header each one carries. */
const STRING_PROPERTIES = [
  ['correlation_id', 'correlationId'],
  ['reply_to', 'replyTo'],
  ['message_type', 'type'],
  ['content_type', 'contentType'],
  ['encoding', 'contentEncoding'],
] as const;

/** The string-property name for a neutral header, if it has one. */
const PROPERTY_OF: ReadonlyMap<string, (typeof STRING_PROPERTIES)[number][1]> = new Map(STRING_PROPERTIES);

/**
 * Puts a neutral header into its property when the value fits one:
 * a non-empty string of at most 255 UTF-8 bytes (an AMQP short string),
 * or for `timestamp` a whole, non-negative number of seconds. Returns
 * false when the header has no property or the value does not fit, and
 * then the header goes into the table instead, where it keeps its type
 * and its length (Wippy reads it from there under the same name).
 *
 * @internal Per message and per header: no allocation.
 */
export function setNeutralProperty(props: Options.Publish, key: string, value: unknown): boolean {
  if (key === 'timestamp') {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return false;
    props.timestamp = value;
    return true;
  }
  const property = PROPERTY_OF.get(key);
  if (property === undefined || typeof value !== 'string' || !isShortString(value)) return false;
  props[property] = value;
  return true;
}

/** Whether `text` fits an AMQP short string (1 to 255 bytes of UTF-8); empty strings stay in the table so they come back. */
function isShortString(text: string): boolean {
  // A UTF-16 code unit is at most 3 bytes of UTF-8: short text needs no counting.
  return text.length > 0 && (text.length <= 85 || Buffer.byteLength(text, 'utf8') <= 255);
}

/**
 * Headers from a delivery's properties, written into `headers` (Wippy
 * writes these first and lets the header table override them; the caller
 * keeps that order). The message ID is not a header.
 */
export function propertyHeaders(p: MessageProperties, headers: Headers): void {
  // Written out rather than looped over STRING_PROPERTIES: this runs per delivery.
  if (typeof p.correlationId === 'string' && p.correlationId !== '') headers['correlation_id'] = p.correlationId;
  if (typeof p.replyTo === 'string' && p.replyTo !== '') headers['reply_to'] = p.replyTo;
  if (typeof p.type === 'string' && p.type !== '') headers['message_type'] = p.type;
  if (typeof p.contentType === 'string' && p.contentType !== '') headers['content_type'] = p.contentType;
  if (typeof p.contentEncoding === 'string' && p.contentEncoding !== '') headers['encoding'] = p.contentEncoding;
  if (typeof p.timestamp === 'number' && Number.isFinite(p.timestamp)) headers['timestamp'] = p.timestamp;
  // Always present, as Wippy reports them: 0 means the property is absent.
  headers['amqp.priority'] = typeof p.priority === 'number' ? p.priority : 0;
  headers['amqp.delivery_mode'] = typeof p.deliveryMode === 'number' ? p.deliveryMode : 0;
  if (typeof p.expiration === 'string' && p.expiration !== '') headers['amqp.expiration'] = p.expiration;
  else if (typeof p.expiration === 'number') headers['amqp.expiration'] = String(p.expiration);
}
