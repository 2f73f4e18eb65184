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
  // TS `private` fields, not `#private`, and tsconfig's
  // `useDefineForClassFields: false`: fields are then plain assignments in
  // the constructor, not defined once as undefined and then written again.
  // This object is made per message; it measured a few percent end to end.
  private _id: string | undefined;
  /**
   * The headers, or, until something reads them, just the `timestamp` they
   * will carry: one field instead of two on an object made per message.
   */
  private _headers: Headers | number;
  readonly body: unknown;

  /**
   * @param headers the message's own headers, or `undefined` for just a
   *   `timestamp` of `timestamp` and a new `traceparent`; that object is then
   *   made on first read, since acking a message never reads its headers.
   */
  constructor(body: unknown, headers: Headers | undefined, timestamp: number, id?: string) {
    this.body = body;
    this._headers = headers ?? timestamp;
    this._id = id;
  }

  get id(): string {
    return (this._id ??= randomUUID());
  }

  get headers(): Headers {
    const h = this._headers;
    if (typeof h !== 'number') return h;
    // traceparent is made here, with the object, so a message nobody reads costs nothing.
    return (this._headers = { timestamp: h, traceparent: newTraceparent() });
  }

  /** Plain-object form, for logs, JSON and inspection. */
  toJSON(): Message {
    return { id: this.id, body: this.body, headers: this.headers };
  }
}
