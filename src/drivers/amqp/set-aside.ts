import type { ConsumeMessage, Options } from 'amqplib';
import type { QueueDeclaration } from '../driver.ts';
import type { Logger } from '../../util/logger.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import type { EncodedMessage } from './message-codec.ts';
import { retypedTable, tableValue } from './header-table.ts';

/**
 * Where undecodable deliveries go when a queue has no dead-letter queue on
 * the same driver: a durable queue named after it, declared the first time
 * it is needed (so a broker only ever shows one where something was parked).
 */
export function parkedQueueName(queueName: string): string {
  return `${queueName}.parked`;
}

/**
 * The copy of an undecodable delivery that is stored aside: its bytes
 * untouched, its properties and header table as they came (amqplib gives
 * back values it can write again; numbers are written as int64 / float64),
 * plus the dead-letter headers. Dropped:
 * `expiration` (the copy must not expire) and `user-id` (the broker refuses
 * one that is not this connection's user); made persistent, since what is
 * set aside is kept for someone to look at.
 */
export function setAsideCopy(raw: ConsumeMessage, originalQueue: string, reason: string, now = Date.now()): EncodedMessage {
  const p = raw.properties ?? {};
  // amqplib reads numbers untyped: they go back as int64 / float64, as every table this driver writes.
  const headers = retypedTable(p.headers);
  headers['x_original_queue'] = originalQueue;
  headers['x_dead_letter_reason'] = `undecodable: ${reason}`;
  headers['x_dead_letter_time'] = tableValue(Math.floor(now / 1000));
  const properties: Options.Publish = { deliveryMode: 2, headers };
  if (typeof p.contentType === 'string') properties.contentType = p.contentType;
  if (typeof p.contentEncoding === 'string') properties.contentEncoding = p.contentEncoding;
  if (typeof p.messageId === 'string') properties.messageId = p.messageId;
  if (typeof p.correlationId === 'string') properties.correlationId = p.correlationId;
  if (typeof p.replyTo === 'string') properties.replyTo = p.replyTo;
  if (typeof p.type === 'string') properties.type = p.type;
  if (typeof p.appId === 'string') properties.appId = p.appId;
  if (typeof p.timestamp === 'number') properties.timestamp = p.timestamp;
  if (typeof p.priority === 'number') properties.priority = p.priority;
  return { id: typeof p.messageId === 'string' ? p.messageId : '', content: raw.content, properties };
}

/** What {@link setAside} needs from the driver. */
export interface SetAsideHost {
  readonly driverId: string;
  readonly logger: Logger;
  /** The declaration of a queue on this driver, if declared. */
  declaration(queueName: string): QueueDeclaration | undefined;
  /** Declares a durable queue with no arguments (idempotent). */
  declareParked(queueName: string): Promise<void>;
  /** Publishes one message, resolving once the broker confirmed it; `NotFoundError` if the queue is gone. */
  sendConfirmed(queueName: string, copy: EncodedMessage): Promise<void>;
}

/**
 * Stores a confirmed copy of an undecodable delivery of `queueName`: in its
 * dead-letter queue when that is on this driver (and still on the broker),
 * else in its parked queue. Logs at error level either way; rejects, after
 * logging, when the copy could not be stored, so the caller hands the
 * original back instead of acking it.
 */
export async function setAside(host: SetAsideHost, queueName: string, raw: ConsumeMessage, reason: string): Promise<void> {
  const declaration = host.declaration(queueName);
  const copy = setAsideCopy(raw, declaration?.id ?? queueName, reason);
  const fields = { driver: host.driverId, queue: queueName, reason, ...(copy.id ? { message_id: copy.id } : {}) };
  const deadLetter = declaration?.deadLetterName;
  try {
    if (deadLetter !== undefined && host.declaration(deadLetter)) {
      try {
        await host.sendConfirmed(deadLetter, copy);
        host.logger.error('amqp: undecodable message moved to the dead-letter queue', { ...fields, to: deadLetter });
        return;
      } catch (e) {
        // Deleted on the broker behind our back: parking still keeps the bytes.
        if (!(e instanceof NotFoundError)) throw e;
      }
    }
    const parked = parkedQueueName(queueName);
    await host.declareParked(parked);
    await host.sendConfirmed(parked, copy);
    host.logger.error('amqp: undecodable message parked', { ...fields, to: parked });
  } catch (error) {
    host.logger.error('amqp: undecodable message could not be set aside; it goes back to its queue', { ...fields, error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}
