import { isUtf8 } from 'node:buffer';
import type { Msg } from '@nats-io/transport-node';
import type { Headers } from '../../message/message.ts';
import { sanitizeReservedHeaders } from '../../message/reserved-headers.ts';
import { copyHeaders } from './nats-codec.ts';
import { parseAckSubject } from './nats-delivery.ts';
import { decodeName, decodeValue } from './nats-header-codec.ts';
import type { QueuePlace } from './nats-names.ts';

/** Where an undecodable message is set aside: a queue's subject, or its parked stream. @internal */
export interface AsideTarget {
  /** Backend queue name, or the parked stream's name: for logs and errors. */
  readonly name: string;
  readonly subject: string;
  /** Whether this is the dead-letter queue (else the parked stream). */
  readonly deadLetter: boolean;
}

/** What a set-aside needs from the driver. @internal */
export interface SetAsideHost {
  readonly driverId: string;
  /** The queue's dead-letter queue on this driver, else its parked stream (created on first use). */
  asideTarget(place: QueuePlace): Promise<AsideTarget>;
  /** Publishes one message, confirmed (retried through a reconnect like any publish). */
  sendCopy(target: AsideTarget, id: string, data: Uint8Array, headers: ReturnType<typeof copyHeaders>): Promise<void>;
}

/** What became of an undecodable message. */
export interface SetAsideOutcome {
  readonly target: AsideTarget;
  /** The log line's fields: stream, subject, sequence, reason, where it went. */
  readonly fields: Record<string, unknown>;
}

/**
 * Stores a copy of a message that is not an actorq message (another
 * program published it on the queue's subject) where someone can look at
 * it: in the queue's dead-letter queue when that is on this driver, else in
 * the queue's parked stream (`<stream>_PARKED`, subject
 * `_actorq.parked.<stream>`). The caller removes the original only after
 * this resolves, so the message is never lost; if it rejects, the original
 * is handed back with a pause, so it never loops hot either.
 *
 * The copy is an actorq message a dead-letter consumer can read: the raw
 * body as a string (exactly as stored; base64 with `x_raw_encoding:
 * "base64"` when it is not UTF-8), the original's headers as far as they
 * read, and `x_original_queue`, `x_dead_letter_reason` (naming stream,
 * subject and sequence), `x_dead_letter_time`, `x_original_stream`,
 * `x_original_sequence`. Its `Nats-Msg-Id` is made from the original's
 * stream, sequence and time, so a copy made twice (a crash between copy
 * and removal) is stored once. @internal
 */
export async function setAside(host: SetAsideHost, place: QueuePlace, msg: Msg, reason: string): Promise<SetAsideOutcome> {
  const info = parseAckSubject(msg.reply ?? '');
  const stream = info?.stream ?? place.stream;
  const sequence = info?.streamSequence ?? 0;
  const full = `undecodable message on stream ${stream} subject ${msg.subject} sequence ${sequence}: ${reason}`;
  const target = await host.asideTarget(place);
  const raw = msg.data;
  const base64 = raw.length > 0 && !isUtf8(raw);
  const headers: Headers = foreignHeaders(msg);
  headers['x_original_queue'] = place.queueId;
  headers['x_dead_letter_reason'] = full;
  headers['x_dead_letter_time'] = Math.floor(Date.now() / 1000);
  headers['x_original_stream'] = stream;
  headers['x_original_sequence'] = sequence;
  if (base64) headers['x_raw_encoding'] = 'base64';
  const text = base64 ? Buffer.from(raw).toString('base64') : Buffer.from(raw).toString('utf8');
  const id = foreignMsgId(msg) || `${stream}:${sequence}`;
  const msgId = `actorq-aside:${stream}:${sequence}:${info?.timestamp ?? '0'}`;
  const body = new TextEncoder().encode(JSON.stringify(text));
  await host.sendCopy(target, id, body, copyHeaders(id, msgId, headers));
  return { target, fields: { driver: host.driverId, queue: place.queueId, stream, subject: msg.subject, sequence, reason, to: target.name } };
}

/** The original's `Nats-Msg-Id`, or `''`; never throws. */
function foreignMsgId(msg: Msg): string {
  try {
    return msg.headers?.get('Nats-Msg-Id') ?? '';
  } catch {
    return '';
  }
}

/** The original's headers, read by the usual rules; never throws. */
function foreignHeaders(msg: Msg): Headers {
  const out: Headers = {};
  try {
    const h = msg.headers;
    if (!h) return out;
    for (const [name, values] of h) {
      const key = decodeName(name);
      if (key === undefined || key === '__proto__') continue;
      out[key] = decodeValue(values[0] ?? '');
    }
    sanitizeReservedHeaders(out);
  } catch {
    // Headers that cannot even be read: the copy goes without them.
  }
  return out;
}
