import { isUtf8 } from 'node:buffer';
import type { Msg } from '@nats-io/transport-node';
import type { Headers } from '../../message/message.ts';
import { sanitizeReservedHeaders } from '../../message/reserved-headers.ts';
import { NatsDelivery, parseAckSubject } from './nats-delivery.ts';
import { decodeName, decodeValue, ID_HEADER, NOT_BEFORE_HEADER } from './nats-header-codec.ts';
import { idFromText, MSG_ID_HEADER } from './nats-codec.ts';

const utf8 = new TextDecoder();

/**
 * Reads a JetStream message into a {@link NatsDelivery}, or says why it
 * cannot: the result is the delivery, or a string giving the reason (one
 * return type rather than a wrapper: this runs per message). Total:
 * whatever another program published on the subject, it never throws.
 *
 * What decodes (the AMQP driver's rule):
 * - a UTF-8 body that is JSON and a value `publish` would accept (not
 *   `null`, not an empty object or array);
 * - with a `Content-Type: text/...` header, any other UTF-8 text, as a
 *   string body.
 *
 * Everything else (empty, not UTF-8, not JSON without a text type) is
 * undecodable. Headers never make a message undecodable: they are read by
 * the rules of `nats-header-codec.ts`, and reserved ones from outside are
 * sanitised (a forged `attempts: -5` counts as 0). The ID is `Actorq-Id`
 * (on copies), else `Nats-Msg-Id`, else `<stream>:<sequence>`, so a message
 * keeps one ID across redeliveries whoever wrote it.
 */
export function decodeMessage(msg: Msg): NatsDelivery | string {
  try {
    const headers: Headers = {};
    let id = '';
    let msgId = '';
    let due = 0;
    let text = false;
    const h = msg.headers;
    if (h) {
      for (const [name, values] of h) {
        const raw = values[0] ?? '';
        if (name === MSG_ID_HEADER) msgId = raw;
        else if (name === ID_HEADER) id = idFromText(raw);
        else if (name === NOT_BEFORE_HEADER) due = Number(raw) || 0;
        const key = decodeName(name);
        if (key === undefined || key === '__proto__') continue;
        headers[key] = decodeValue(raw);
        if (key.length === 12 && key.toLowerCase() === 'content-type' && /^\s*text\//i.test(raw)) text = true;
      }
      sanitizeReservedHeaders(headers);
    }
    const body = decodeBody(msg.data, text);
    if (typeof body === 'object' && body instanceof Undecodable) return body.reason;
    if (id === '') id = msgId !== '' ? msgId : fallbackId(msg.reply ?? '');
    return new NatsDelivery(id, body, headers, msg.reply ?? '', msg.data, due);
  } catch (error) {
    return `cannot be decoded: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Why a body is not a message (a value, not thrown: an undecodable body is expected, not exceptional). */
class Undecodable {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

function decodeBody(data: Uint8Array, isText: boolean): unknown {
  if (data.length === 0) return new Undecodable('body is empty');
  const text = utf8.decode(data);
  // The decoder replaces bad bytes with U+FFFD; only then is the real check worth its cost.
  if (text.includes('\uFFFD') && !isUtf8(data)) return new Undecodable('body is not valid UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    if (isText) return text;
    return new Undecodable(`body is not valid JSON (and no Content-Type: text/...): ${clip((error as Error).message, 200)}`);
  }
  if (parsed === null) return isText ? text : new Undecodable('body is JSON null, which publish refuses');
  if (typeof parsed === 'object') {
    for (const _ in parsed) return parsed;
    if (isText) return text;
    return new Undecodable(`body is ${Array.isArray(parsed) ? 'an empty array' : 'an empty object'}, which publish refuses`);
  }
  return parsed;
}

/** `<stream>:<sequence>` from the ack subject: stable across redeliveries of one stored message. */
function fallbackId(reply: string): string {
  const info = parseAckSubject(reply);
  return info ? `${info.stream}:${info.streamSequence}` : reply;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
