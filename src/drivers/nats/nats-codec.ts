import { MsgHdrsImpl, type MsgHdrs } from '@nats-io/transport-node';
import type { Headers, Message } from '../../message/message.ts';
import { jsonBodyText } from '../../message/json-body-text.ts';
import { encodeHeaders, ID_HEADER, NOT_BEFORE_HEADER } from './nats-header-codec.ts';

/** JetStream's deduplication header. */
export const MSG_ID_HEADER = 'Nats-Msg-Id';

/** A message ready for a JetStream publish. */
export interface EncodedMessage {
  /** JSON text of the body, or the stored bytes of a copy. */
  readonly data: string | Uint8Array;
  readonly headers: MsgHdrs;
}

/**
 * A message as this driver stores it: the body as JSON (UTF-8), each header
 * as a NATS header (see `nats-header-codec.ts`), and the ID as
 * `Nats-Msg-Id`, so JetStream drops a second publish of the same ID within
 * the stream's `duplicate_window`, unless `dedupeKey` is given: JetStream
 * then compares that, and the ID goes by `Actorq-Id`. With `due` (ms since
 * the epoch), the message is delayed: consumers that see it early hand it
 * back until then.
 *
 * @throws InvalidMessageError for a body JSON cannot encode.
 */
export function encodeMessage(message: Message, queueName: string, due = 0, dedupeKey?: string): EncodedMessage {
  const json = jsonBodyText(message.body, `publish to ${queueName}`);
  const id = message.id;
  // With a key of its own the ID goes by `Actorq-Id`, as on a copy: JetStream compares the key.
  if (dedupeKey !== undefined) return { data: json, headers: headersFor(id, dedupeKey, message.headers, due, true) };
  return { data: json, headers: headersFor(id, plainId(id) ? id : undefined, message.headers, due) };
}

/**
 * Headers of a copy of a stored message (a requeue, a dead-letter, a
 * delayed retry): its ID under `Actorq-Id`, and `msgId` for deduplication,
 * unique to the stored message the copy is made from, so the copy a crash
 * made twice is stored once.
 */
export function copyHeaders(id: string, msgId: string, headers: Headers, due = 0): MsgHdrs {
  return headersFor(id, msgId, headers, due, true);
}

/**
 * The `Actorq-Id` text of an ID: as it is, or JSON-quoted when a header
 * could not carry it as it is (see {@link plainId}).
 */
export function idText(id: string): string {
  return plainId(id) ? id : JSON.stringify(id);
}

/** An ID read back from its `Actorq-Id` text. */
export function idFromText(text: string): string {
  if (text.charCodeAt(0) !== 34 /* " */) return text;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'string' ? v : text;
  } catch {
    return text;
  }
}

/** Whether a header can carry the ID as it is (no control characters, no edge whitespace, no leading quote). */
function plainId(id: string): boolean {
  if (id.length === 0) return false;
  const first = id.charCodeAt(0);
  if (first <= 32 || first === 34 || id.charCodeAt(id.length - 1) <= 32) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 32 || c === 127) return false;
  }
  return true;
}

function headersFor(id: string, msgId: string | undefined, headers: Headers, due: number, copy = false): MsgHdrs {
  const record = encodeHeaders(headers);
  // An ID a header cannot carry as it is goes quoted, and then by `Actorq-Id` only.
  record[MSG_ID_HEADER] = [msgId ?? idText(id)];
  if (copy || msgId === undefined) record[ID_HEADER] = [idText(id)];
  if (due > 0) record[NOT_BEFORE_HEADER] = [String(due)];
  return MsgHdrsImpl.fromRecord(record);
}
