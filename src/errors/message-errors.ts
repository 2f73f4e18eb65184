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
