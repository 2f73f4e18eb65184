import type { Headers, Message } from '../../message/message.ts';

/**
 * A message handed to a consumer by the Redis driver. Besides the
 * {@link Message} fields it carries the token under which the message sits
 * in the consumer's processing hash, which every settle names. Built by
 * `decodeEntry` from a stored entry it has already checked. @internal
 */
export class RedisDelivery implements Message {
  readonly id: string;
  readonly body: unknown;
  readonly headers: Headers;
  /** Key of the message in the consumer's processing hash. */
  readonly token: number;
  /** TTL stamp (`<ms>|`) to keep on requeue, `''` if none. */
  readonly expiry: string;

  constructor(id: string, headers: Headers, body: unknown, expiry: string, token: number) {
    this.id = id;
    this.body = body;
    this.headers = headers;
    this.expiry = expiry;
    this.token = token;
  }
}
