import type { Options } from 'amqplib';
import type { Headers, Message } from '../../message/message.ts';
import { parseDuration } from '../../util/duration.ts';
import { InvalidMessageError } from '../../errors/message-errors.ts';

/** Content type of every body this driver writes (Wippy's default codec is JSON). */
export const JSON_CONTENT_TYPE = 'application/json';

/** Persistent delivery mode (AMQP `delivery-mode` 2), the default. */
const PERSISTENT = 2;

/** A message ready for `basic.publish`. */
export interface EncodedMessage {
  readonly id: string;
  readonly content: Buffer;
  readonly properties: Options.Publish;
}

/**
 * Turns a message into an AMQP body and properties. The body is JSON; the
 * ID goes to `message-id`; `amqp.*` headers steer AMQP properties; every
 * other header becomes an AMQP header (amqplib writes integers as integers
 * and other numbers as doubles, so types survive the trip).
 *
 * @throws InvalidMessageError for a body JSON cannot encode or a bad `amqp.*` value.
 */
export function encodeMessage(message: Message, queueName: string): EncodedMessage {
  let json: string | undefined;
  try {
    json = JSON.stringify(message.body);
  } catch (e) {
    throw new InvalidMessageError(`publish to ${queueName}: body cannot be encoded as JSON: ${(e as Error).message}`);
  }
  if (json === undefined) throw new InvalidMessageError(`publish to ${queueName}: body cannot be encoded as JSON`);
  const id = message.id;
  return { id, content: Buffer.from(json, 'utf8'), properties: encodeProperties(id, message.headers, queueName) };
}

/** AMQP properties for a message ID and its headers (see {@link encodeMessage}). */
export function encodeProperties(id: string, headers: Headers, queueName: string): Options.Publish {
  const props: Options.Publish = { messageId: id, contentType: JSON_CONTENT_TYPE, deliveryMode: PERSISTENT };
  const table: Record<string, unknown> = {};
  for (const key in headers) {
    const value = headers[key]!;
    if (!key.startsWith('amqp.')) {
      table[key] = value;
      continue;
    }
    switch (key) {
      case 'amqp.priority':
        props.priority = integerIn(value, 0, 255, key, queueName);
        break;
      case 'amqp.expiration': {
        const ms = typeof value === 'boolean' ? undefined : parseDuration(value);
        if (ms === undefined) throw bad(queueName, key, 'a duration ("30s") or milliseconds');
        props.expiration = String(Math.round(ms));
        break;
      }
      case 'amqp.delivery_mode':
        props.deliveryMode = integerIn(value, 1, 2, key, queueName);
        break;
      case 'amqp.content_encoding':
        if (typeof value !== 'string') throw bad(queueName, key, 'a string');
        props.contentEncoding = value;
        break;
      case 'amqp.x_delay':
        // Read by the delayed-message exchange plugin (rabbitmq_delayed_message_exchange).
        table['x-delay'] = integerIn(value, 0, 2 ** 31 - 1, key, queueName);
        break;
      default:
        // Unknown amqp.* keys travel as plain headers: a newer publisher's
        // steering header must not make an older driver drop the message.
        table[key] = value;
    }
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
