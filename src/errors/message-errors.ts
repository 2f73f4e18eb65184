import { ActorqError } from './actorq-error.ts';

/** A message given to `publish` is not acceptable (empty body, bad header). */
export class InvalidMessageError extends ActorqError {
  constructor(message: string) {
    super('INVALID_MESSAGE', message);
  }
}

/** A message was acked or nacked a second time. */
export class AlreadySettledError extends ActorqError {
  constructor(messageId: string, state: string) {
    super('ALREADY_SETTLED', `message ${messageId} already settled (${state})`);
  }
}

/**
 * A message handle was used after its handler returned or after shutdown
 * released the message back to its queue.
 */
export class MessageReleasedError extends ActorqError {
  constructor(messageId: string) {
    super('MESSAGE_RELEASED', `message ${messageId} released: its handler has finished`);
  }
}

/**
 * A message is larger than its queue's `max_message_size`, measured as the
 * UTF-8 bytes of its JSON-encoded body plus its JSON-encoded headers.
 * Nothing was stored.
 */
export class MessageTooLargeError extends ActorqError {
  /** The message's size in bytes (body + headers). */
  readonly size: number;
  /** The queue's limit in bytes. */
  readonly limit: number;
  constructor(queueId: string, bodyBytes: number, headerBytes: number, limit: number) {
    super(
      'MESSAGE_TOO_LARGE',
      `publish to ${queueId}: message is ${bodyBytes + headerBytes} bytes (JSON body ${bodyBytes} + headers ${headerBytes}), over the queue's max_message_size of ${limit}`,
    );
    this.size = bodyBytes + headerBytes;
    this.limit = limit;
  }
}
