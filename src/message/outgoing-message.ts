import { randomUUID } from 'node:crypto';
import type { Headers, Message } from './message.ts';
import { newTraceparent } from '../tracing/traceparent.ts';

/**
 * The message object `publish` creates.
 *
 * The ID is made on first read: the in-memory driver hands this same object
 * to the consumer, and most handlers never look at the ID, so generating a
 * UUID eagerly (~80 ns) would be the most expensive step of a publish.
 * Drivers that serialise read it once at publish time.
 */
export class OutgoingMessage implements Message {
  #id: string | undefined;
  #headers: Headers | undefined;
  readonly #timestamp: number;
  readonly body: unknown;

  /**
   * @param headers the message's own headers, or `undefined` for just a
   *   `timestamp` of `timestamp` and a new `traceparent`; that object is then made on first read
   *   too, since acking a message never reads its headers.
   */
  constructor(body: unknown, headers: Headers | undefined, timestamp: number, id?: string) {
    this.body = body;
    this.#headers = headers;
    this.#timestamp = timestamp;
    this.#id = id;
  }

  get id(): string {
    return (this.#id ??= randomUUID());
  }

  get headers(): Headers {
    // traceparent is made here, with the object, so a message nobody reads costs nothing.
    return (this.#headers ??= { timestamp: this.#timestamp, traceparent: newTraceparent() });
  }

  /** Plain-object form, for logs, JSON and inspection. */
  toJSON(): Message {
    return { id: this.id, body: this.body, headers: this.headers };
  }
}
