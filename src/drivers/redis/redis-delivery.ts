import type { Headers, Message } from '../../message/message.ts';
import { decodeMessage } from './redis-codec.ts';

/**
 * A message handed to a consumer by the Redis driver. Besides the
 * {@link Message} fields it carries the token under which the message sits
 * in the consumer's processing hash, which every settle names. @internal
 */
export class RedisDelivery implements Message {
  readonly id: string;
  readonly body: unknown;
  readonly headers: Headers;
  /** Key of the message in the consumer's processing hash. */
  readonly token: number;
  /** TTL stamp (`<ms>|`) to keep on requeue, `''` if none. */
  readonly expiry: string;

  constructor(raw: string, token: number) {
    const m = decodeMessage(raw);
    this.id = m.id;
    this.body = m.body;
    this.headers = m.headers;
    this.expiry = m.expiry;
    this.token = token;
  }
}
