import { ActorqError } from './actorq-error.ts';

/**
 * A publish found its queue full and too many publishers already waiting
 * for room (the in-memory driver's `max_waiting`). Nothing of it was
 * stored; retrying once consumers have caught up may succeed.
 */
export class QueueFullError extends ActorqError {
  constructor(message: string) {
    super('QUEUE_FULL', message, { retryable: true });
  }
}
