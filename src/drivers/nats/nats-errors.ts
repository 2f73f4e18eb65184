import { JetStreamApiError } from '@nats-io/jetstream';
import { InvalidArgumentError, NoRespondersError, PermissionViolationError, RequestError } from '@nats-io/transport-node';
import { InvalidMessageError } from '../../errors/message-errors.ts';
import { MAX_DELAY_MS } from '../../message/delay.ts';

/**
 * Reading nats.js errors, and small shared checks. @internal
 */

/** What a failed request means for the caller. */
export type Failure =
  /** The connection went away or the reply did not come: try again (on the next connection). */
  | 'transient'
  /** Nobody serves the subject: the stream (or JetStream) is not there. */
  | 'missing'
  /** The server answered with an error: trying again will not help. */
  | 'refused';

/** Classifies an error from a JetStream publish or API call. */
export function classify(e: unknown): Failure {
  if (noResponders(e)) return 'missing';
  if (e instanceof JetStreamApiError || e instanceof PermissionViolationError || e instanceof InvalidArgumentError) return 'refused';
  // Time-outs, a closed or draining connection, a protocol hiccup: not a refusal by the server.
  return 'transient';
}

/**
 * Whether nobody answered: `NoRespondersError`, a `RequestError` carrying
 * one, or JetStream's "jetstream is not enabled", which is how a publish
 * to a subject no stream takes ends (it carries the no-responders error).
 */
export function noResponders(e: unknown): boolean {
  for (let cause = e, depth = 0; cause instanceof Error && depth < 4; cause = cause.cause, depth++) {
    if (cause instanceof NoRespondersError || (cause instanceof RequestError && cause.isNoResponders())) return true;
  }
  return false;
}

/**
 * A delay as whole ms (rounded up, so never early): 0 when absent. Throws
 * INVALID_MESSAGE naming `where` for anything but a finite number from 0
 * to {@link MAX_DELAY_MS}, before anything is stored or moved.
 */
export function checkedDelay(delayMs: number | undefined, where: string): number {
  if (delayMs === undefined) return 0;
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
    throw new InvalidMessageError(`${where}: delay must be a finite number of ms from 0 to ${MAX_DELAY_MS}, got ${String(delayMs)}`);
  }
  return Math.ceil(delayMs);
}

