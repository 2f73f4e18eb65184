import { createHash, randomUUID } from 'node:crypto';
import type { Message as SqsMessage, MessageAttributeValue, SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { Headers, HeaderValue, Message } from '../../message/message.ts';
import { sanitizeReservedHeaders } from '../../message/reserved-headers.ts';
import { attemptsOf } from '../../message/attempts.ts';
import { InvalidMessageError } from '../../errors/message-errors.ts';
import { jsonBodyText } from '../../message/json-body-text.ts';
import {
  DEDUP_HEADER,
  DELAY_HEADER,
  DUE_ATTRIBUTE,
  GROUP_HEADER,
  ID_ATTRIBUTE,
  STEERING_HEADERS,
  decodeAttributes,
  encodeAttributes,
  encodeValue,
  formatNumber,
  storableJson,
  type Overflow,
} from './sqs-attributes.ts';
import { SqsDelivery } from './sqs-delivery.ts';

const NONE: ReadonlySet<string> = new Set();

/** Longest `DelaySeconds` SQS takes on one message. */
export const MAX_DELAY_SECONDS = 900;

/** What encoding needs to know of the queue a message goes to. @internal */
export interface QueueTarget {
  /** Backend name. */
  readonly name: string;
  /** A `.fifo` queue: group IDs required, deduplication IDs used, no per-message delay. */
  readonly fifo: boolean;
  readonly overflow: Overflow;
}

/** The queue's codec: JSON text, made storable by SQS. */
export function encodeBody(body: unknown, where: string): string {
  return storableJson(jsonBodyText(body, where));
}

/**
 * A `SendMessageBatch` entry for a published message: body, attributes
 * (the ID in `actorq.id`, each header under its name) and the fields the
 * `sqs.*` headers steer.
 *
 * @param delaySeconds the publish's own delay, already in SQS's range.
 * @param due end (Unix ms) of a delay longer than SQS's 15 minutes.
 * @param dedupeKey the publish's own deduplication key (FIFO targets): it
 *   wins over the `sqs.deduplication_id` header and the message ID.
 * @throws InvalidMessageError for a body JSON cannot hold, a header SQS
 *   cannot store, too many headers (`header_overflow: error`), a bad
 *   `sqs.*` value, or a FIFO message without a group ID.
 */
export function encodePublish(message: Message, index: number, target: QueueTarget, delaySeconds: number, due?: number, dedupeKey?: string): SendMessageBatchRequestEntry {
  const where = `publish to ${target.name}`;
  const headers = message.headers;
  const internal: Record<string, MessageAttributeValue> = { [ID_ATTRIBUTE]: encodeValue(message.id) };
  if (due !== undefined) internal[DUE_ATTRIBUTE] = { DataType: 'Number', StringValue: formatNumber(due) };
  const entry: SendMessageBatchRequestEntry = {
    Id: String(index),
    MessageBody: encodeBody(message.body, where),
    MessageAttributes: encodeAttributes(headers, internal, target.overflow, where, STEERING_HEADERS),
  };
  const asked = headers[DELAY_HEADER];
  const delay = Math.max(delaySeconds, asked === undefined ? 0 : integerIn(asked, 0, MAX_DELAY_SECONDS, DELAY_HEADER, where));
  const group = headers[GROUP_HEADER];
  const dedup = headers[DEDUP_HEADER];
  if (group !== undefined) entry.MessageGroupId = idValue(group, GROUP_HEADER, where);
  if (dedup !== undefined) entry.MessageDeduplicationId = idValue(dedup, DEDUP_HEADER, where);
  if (target.fifo) {
    if (entry.MessageGroupId === undefined) throw new InvalidMessageError(`${where}: a FIFO queue needs header "${GROUP_HEADER}" (a non-empty string)`);
    if (delay > 0) throw new InvalidMessageError(`${where}: SQS FIFO queues take no per-message delay (header ${DELAY_HEADER} or a delayed publish)`);
    // The message ID as deduplication ID: a publish retried after a lost reply stores nothing twice.
    // A publish's own key comes first: it stores a new copy under an old ID on purpose (a replay).
    if (dedupeKey !== undefined) entry.MessageDeduplicationId = dedupIdOf(dedupeKey);
    entry.MessageDeduplicationId ??= dedupIdOf(message.id);
  } else if (delay > 0) entry.DelaySeconds = delay;
  return entry;
}

/** What {@link encodeCopy} sends besides the body and headers. */
export interface CopyOptions {
  /** `DelaySeconds` (standard queues). */
  readonly delaySeconds?: number;
  /** Due time (Unix ms) of a delay longer than one SQS step. */
  readonly due?: number;
  /** Deduplication ID on a FIFO target; a fresh UUID when absent. */
  readonly dedupId?: string;
}

/**
 * A copy actorq sends itself (requeue with new headers, dead-letter, a
 * delay step, a release, a set-aside): the stored body text as it was, the
 * given headers, never refused for its headers (what does not fit is
 * packed). On a FIFO target the group ID header steers the group; on a
 * standard one the `sqs.*` IDs stay attributes, so nothing is lost.
 */
export function encodeCopy(id: string, bodyText: string, headers: Headers, target: QueueTarget, index: number, options: CopyOptions = {}): SendMessageBatchRequestEntry {
  const internal: Record<string, MessageAttributeValue> = { [ID_ATTRIBUTE]: encodeValue(id) };
  if (options.due !== undefined) internal[DUE_ATTRIBUTE] = { DataType: 'Number', StringValue: formatNumber(options.due) };
  const group = headers[GROUP_HEADER];
  const entry: SendMessageBatchRequestEntry = {
    Id: String(index),
    MessageBody: bodyText,
    // A standard queue has no field for the `sqs.*` IDs: they stay attributes there.
    MessageAttributes: encodeAttributes(headers, internal, 'pack', `copy of message ${id} to ${target.name}`, target.fifo ? STEERING_HEADERS : NONE),
  };
  if (target.fifo) {
    entry.MessageGroupId = typeof group === 'string' && group !== '' ? group : 'actorq';
    entry.MessageDeduplicationId = options.dedupId ?? randomUUID();
  } else {
    if (options.delaySeconds !== undefined && options.delaySeconds > 0) entry.DelaySeconds = options.delaySeconds;
  }
  return entry;
}

/** A deduplication ID from a message ID: itself when SQS accepts it (1-128 printable ASCII), else its SHA-256. */
export function dedupIdOf(id: string): string {
  return /^[\x21-\x7e]{1,128}$/.test(id) ? id : createHash('sha256').update(id).digest('hex');
}

/**
 * A received message that is not an actorq message (another program wrote
 * it): never handed to a consumer. Its attributes are read like any
 * message's, so a set-aside copy keeps them. @internal
 */
export class UndecodableMessage {
  readonly raw: SqsMessage;
  readonly reason: string;
  /** The message ID: `actorq.id` when present, else the SQS MessageId. */
  readonly id: string;
  readonly headers: Headers;
  constructor(raw: SqsMessage, reason: string, id: string, headers: Headers) {
    this.raw = raw;
    this.reason = reason;
    this.id = id;
    this.headers = headers;
  }
}

/**
 * Reads a received message back (total: it never throws). The ID is
 * `actorq.id` when present, else the SQS MessageId (a message from Wippy or
 * another program); `attempts` is the count recorded on the message plus
 * the receives before this one (`ApproximateReceiveCount - 1`); the FIFO
 * group and deduplication IDs come back as `sqs.message_group_id` and
 * `sqs.message_deduplication_id`.
 *
 * The body decodes as the AMQP driver's does: JSON that `publish` would
 * accept, or any text when the `content_type` header is `text/*`.
 */
export function decodeReceived(m: SqsMessage, receivedAt: number, visibilityMs: number): SqsDelivery | UndecodableMessage {
  const headers: Headers = {};
  const internal = decodeAttributes(m.MessageAttributes, headers);
  sanitizeReservedHeaders(headers);
  const system = m.Attributes;
  const receives = Number(system?.ApproximateReceiveCount);
  const attempts = attemptsOf(headers) + (Number.isSafeInteger(receives) && receives > 1 ? receives - 1 : 0);
  if (attempts > 0) headers['attempts'] = attempts;
  const group = system?.MessageGroupId;
  if (typeof group === 'string' && group !== '') headers[GROUP_HEADER] = group;
  const dedup = system?.MessageDeduplicationId;
  if (typeof dedup === 'string' && dedup !== '') headers[DEDUP_HEADER] = dedup;
  const id = internal.id ?? m.MessageId ?? '';
  let body: unknown;
  try {
    body = decodeBody(m.Body, headers['content_type']);
  } catch (e) {
    return new UndecodableMessage(m, e instanceof Undecodable ? e.message : `cannot be decoded: ${String(e)}`, id, headers);
  }
  const d = new SqsDelivery(id, body, headers, m, receivedAt, receivedAt + visibilityMs);
  if (internal.due !== undefined) d.due = internal.due;
  return d;
}

/** Thrown inside this module only, for a body that is not a message. */
class Undecodable extends Error {}

function decodeBody(text: string | undefined, contentType: HeaderValue | undefined): unknown {
  if (typeof text !== 'string' || text.length === 0) throw new Undecodable('body is empty');
  const isText = typeof contentType === 'string' && /^\s*text\//i.test(contentType);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    if (isText) return text;
    throw new Undecodable(`body is not valid JSON (content_type ${typeof contentType === 'string' ? contentType : 'absent'}): ${(error as Error).message}`);
  }
  if (parsed === null || (typeof parsed === 'object' && isEmpty(parsed))) {
    if (isText) return text;
    throw new Undecodable(`body is ${parsed === null ? 'JSON null' : Array.isArray(parsed) ? 'an empty array' : 'an empty object'}, which publish refuses`);
  }
  return parsed;
}

function isEmpty(value: object): boolean {
  for (const _ in value) return false;
  return true;
}

function integerIn(value: HeaderValue, min: number, max: number, key: string, where: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new InvalidMessageError(`${where}: header "${key}" must be an integer from ${min} to ${max}`);
  return n;
}

function idValue(value: HeaderValue, key: string, where: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 128) throw new InvalidMessageError(`${where}: header "${key}" must be a non-empty string of at most 128 characters`);
  return value;
}
