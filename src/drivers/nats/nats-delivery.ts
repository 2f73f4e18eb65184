import type { Headers, Message } from '../../message/message.ts';

/**
 * A message delivered by JetStream. Besides the {@link Message} fields it
 * keeps what settling it needs: the ack subject (every settle, from any
 * connection, is a publish to it), and the raw body bytes for a copy
 * (requeue, dead-letter) that goes out without encoding the body again.
 *
 * @internal Consumers see only the {@link Message} fields.
 */
export class NatsDelivery implements Message {
  readonly id: string;
  readonly body: unknown;
  readonly headers: Headers;
  /** `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>` */
  readonly reply: string;
  /** The body as stored. */
  readonly data: Uint8Array;
  /** Due time (ms since the epoch) of a delayed message; 0 when deliverable at once. */
  readonly due: number;
  /** When it was received, or last reported in progress (`performance.now()`). */
  touched = 0;
  /** Set by the first settle; later ones are ignored (JetStream takes one final settle). */
  settled = false;

  constructor(id: string, body: unknown, headers: Headers, reply: string, data: Uint8Array, due: number) {
    this.id = id;
    this.body = body;
    this.headers = headers;
    this.reply = reply;
    this.data = data;
    this.due = due;
  }
}

/** What the ack subject of a delivery says about the stored message. */
export interface AckInfo {
  readonly stream: string;
  /** How many times JetStream delivered it, this time included. */
  readonly deliveryCount: number;
  readonly streamSequence: number;
  /** Time it was stored, in ns since the epoch, as text (beyond a double's precision). */
  readonly timestamp: string;
}

/**
 * Reads a JetStream ack subject, old form (`$JS.ACK.<stream>.<consumer>.…`,
 * 9 tokens) or new (with domain and account hash, 11 or more).
 * `undefined` for anything else.
 */
export function parseAckSubject(reply: string): AckInfo | undefined {
  const t = reply.split('.');
  if (t[0] !== '$JS' || t[1] !== 'ACK') return undefined;
  const base = t.length === 9 ? 2 : t.length >= 11 ? 4 : -1;
  if (base < 0) return undefined;
  const deliveryCount = Number(t[base + 2]);
  const streamSequence = Number(t[base + 3]);
  if (!Number.isSafeInteger(deliveryCount) || !Number.isSafeInteger(streamSequence)) return undefined;
  return { stream: t[base]!, deliveryCount, streamSequence, timestamp: t[base + 5]! };
}
