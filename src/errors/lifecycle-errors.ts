import { ActorqError, type ActorqErrorCode } from './actorq-error.ts';

/** A driver cannot take the request now: stopped, or disconnected past the wait limit. */
export class DriverUnavailableError extends ActorqError {
  constructor(code: Extract<ActorqErrorCode, 'DRIVER_STOPPED' | 'DRIVER_UNAVAILABLE'>, message: string, options?: { cause?: unknown }) {
    super(code, message, { cause: options?.cause, retryable: code === 'DRIVER_UNAVAILABLE' });
  }
}

/** The backend refused a published message (e.g. a broker nack). Nothing was stored. */
export class PublishRejectedError extends ActorqError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PUBLISH_REJECTED', message, { cause: options?.cause, retryable: true });
  }
}

/** An operation was aborted through the caller's AbortSignal. */
export class AbortedError extends ActorqError {
  constructor(message = 'operation aborted', options?: { cause?: unknown }) {
    super('ABORTED', message, options);
  }
}

/** One or more entries failed to start. `failures` maps entry IDs to their error. */
export class StartError extends ActorqError {
  readonly failures: ReadonlyMap<string, unknown>;
  constructor(failures: ReadonlyMap<string, unknown>) {
    const lines = [...failures].map(([id, e]) => `${id}: ${e instanceof Error ? e.message : String(e)}`);
    super('START_FAILED', `failed to start: ${lines.join('; ')}`);
    this.failures = failures;
  }
}

/**
 * Shutdown did not finish in time. `pending` names each consumer whose workers
 * were still busy at its `stop_timeout`, with how many messages were released.
 */
export class StopTimeoutError extends ActorqError {
  readonly pending: ReadonlyMap<string, number>;
  constructor(pending: ReadonlyMap<string, number>) {
    const lines = [...pending].map(([id, n]) => `${id} (${n} in-flight message${n === 1 ? '' : 's'} released)`);
    super('STOP_TIMEOUT', `stop timed out waiting for handlers: ${lines.join(', ')}`);
    this.pending = pending;
  }
}
