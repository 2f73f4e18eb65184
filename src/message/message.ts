/** A header value every driver can carry and give back with its type intact. */
export type HeaderValue = string | number | boolean;

/** Message headers. Keys are strings; see {@link RESERVED_HEADERS}. */
export type Headers = Record<string, HeaderValue>;

/**
 * Headers actorq itself writes. Users may read them; `publish` rejects them
 * so that a caller cannot forge a dead-letter record or reset a retry count.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'attempts',
  'x_original_queue',
  'x_dead_letter_reason',
  'x_dead_letter_time',
]);

/**
 * A message as drivers store and deliver it.
 *
 * `headers.attempts` counts failed deliveries (nacks) so far; it is absent
 * on a fresh message.
 */
export interface Message {
  /** Unique ID (a UUID v4 unless the publisher gave one). Stable across redeliveries. */
  readonly id: string;
  /** The decoded body. Never `undefined`, `null` or an empty object/array. */
  readonly body: unknown;
  /** Headers, including `timestamp` (Unix seconds) set at publish. */
  readonly headers: Headers;
}
