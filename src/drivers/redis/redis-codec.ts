import type { Headers, Message } from '../../message/message.ts';

/**
 * How a message is stored in Redis: `[id, headers, body]` as JSON, so one
 * `JSON.parse` restores all three with their types (headers are
 * string/number/boolean, bodies JSON). When the queue has a `message_ttl`,
 * the publish script prepends `<expires-at-ms>|`; a plain entry always
 * starts with `[`, so the two are told apart by the first byte.
 */
export function encodeMessage(id: string, headers: Headers, body: unknown): string {
  return JSON.stringify([id, headers, body]);
}

/** A message read back from Redis, with what the driver needs to settle it. */
export interface DecodedMessage extends Message {
  /** The `<expires-at-ms>|` prefix, kept so a requeue does not extend the TTL; `''` if none. */
  readonly expiry: string;
}

/** Inverse of {@link encodeMessage}, tolerant of the TTL prefix. */
export function decodeMessage(raw: string): DecodedMessage {
  let expiry = '';
  let json = raw;
  if (raw.charCodeAt(0) !== 91 /* [ */) {
    const bar = raw.indexOf('|');
    expiry = raw.slice(0, bar + 1);
    json = raw.slice(bar + 1);
  }
  const [id, headers, body] = JSON.parse(json) as [string, Headers, unknown];
  return { id, headers, body, expiry };
}
