import type { Options } from 'amqplib';
import type { Headers, Message } from '../../message/message.ts';
import { parseDuration } from '../../util/duration.ts';
import { InvalidMessageError } from '../../errors/message-errors.ts';
import { jsonBodyText } from '../../message/json-body-text.ts';
import { tableValue } from './header-table.ts';
import { setNeutralProperty } from './property-headers.ts';

/** Content type of the bodies this driver writes: the queue's codec is JSON (`json`, Wippy's `json/plain`). */
export const JSON_CONTENT_TYPE = 'application/json';

/** Persistent delivery mode (AMQP `delivery-mode` 2), the default. */
const PERSISTENT = 2;

/** A message ready for `basic.publish`. */
export interface EncodedMessage {
  readonly id: string;
  readonly content: Buffer;
  readonly properties: Options.Publish;
}

/** Driver-wide defaults applied when a message is published (not to copies of it). */
export interface PublishDefaults {
  /** `default_message_ttl` in ms: the `expiration` of a message that gives no `amqp.expiration`. */
  readonly messageTtl?: number;
}

/**
 * Turns a message into an AMQP body and properties, as Wippy's AMQP
 * driver does: the body is the JSON codec's text; the ID goes to
 * `message-id`; neutral headers with an AMQP property travel in it (see
 * `property-headers.ts`); `amqp.*` headers steer properties; every other
 * header goes into the header table, integers as int64 and other numbers
 * as float64 (see `header-table.ts`).
 *
 * @throws InvalidMessageError for a body JSON cannot encode or a bad `amqp.*` value.
 */
export function encodeMessage(message: Message, queueName: string, defaults?: PublishDefaults): EncodedMessage {
  const json = jsonBodyText(message.body, `publish to ${queueName}`);
  const id = message.id;
  const properties = encodeProperties(id, message.headers, queueName);
  if (defaults?.messageTtl !== undefined && properties.expiration === undefined) {
    properties.expiration = String(Math.trunc(defaults.messageTtl));
  }
  return { id, content: Buffer.from(json, 'utf8'), properties };
}

/**
 * AMQP properties for a message ID and its headers (see {@link encodeMessage}).
 * `content_type` overrides the codec's content type (the body stays JSON);
 * `encoding` and its alias `amqp.content_encoding` set `content-encoding`
 * (`encoding` wins when both are given).
 */
export function encodeProperties(id: string, headers: Headers, queueName: string): Options.Publish {
  const props: Options.Publish = { messageId: id, contentType: JSON_CONTENT_TYPE, deliveryMode: PERSISTENT };
  const table: Record<string, unknown> = {};
  for (const key in headers) {
    const value = headers[key]!;
    switch (key) {
      case 'timestamp':
      case 'correlation_id':
      case 'reply_to':
      case 'message_type':
      case 'content_type':
      case 'encoding':
        if (setNeutralProperty(props, key, value)) continue;
        break;
      case 'amqp.priority': {
        const priority = integerIn(value, 0, 255, key, queueName);
        // 0 is the absence of the property (what a consumer reads back either way).
        if (priority > 0) props.priority = priority;
        continue;
      }
      case 'amqp.expiration': {
        const ms = typeof value === 'boolean' ? undefined : parseDuration(value);
        if (ms === undefined) throw bad(queueName, key, 'a duration ("30s") or milliseconds');
        props.expiration = String(Math.round(ms));
        continue;
      }
      case 'amqp.delivery_mode': {
        // 0 (what a delivery without the property reports) means the default.
        const mode = integerIn(value, 0, 2, key, queueName);
        props.deliveryMode = mode === 0 ? PERSISTENT : mode;
        continue;
      }
      case 'amqp.content_encoding':
        if (typeof value !== 'string') throw bad(queueName, key, 'a string');
        if (!('encoding' in headers)) props.contentEncoding = value;
        continue;
      case 'amqp.x_delay':
        // Read by the delayed-message exchange plugin (rabbitmq_delayed_message_exchange); int32 as Wippy writes it.
        table['x-delay'] = { '!': 'int32', value: integerIn(value, 0, 2 ** 31 - 1, key, queueName) };
        continue;
      case 'amqp.mandatory':
        // Wippy's per-message flag; every publish of this driver is mandatory already.
        continue;
      default:
      // Every other header, unknown amqp.* keys included (a newer publisher's
      // steering header must not make an older driver drop the message).
    }
    table[key] = tableValue(value);
  }
  props.headers = table;
  return props;
}

function integerIn(value: unknown, min: number, max: number, key: string, queueName: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw bad(queueName, key, `an integer from ${min} to ${max}`);
  return n;
}

function bad(queueName: string, key: string, expected: string): InvalidMessageError {
  return new InvalidMessageError(`publish to ${queueName}: header "${key}" must be ${expected}`);
}
