/**
 * Stable machine-readable codes carried by every error actorq throws.
 * Callers branch on `code`, never on message text.
 */
export type ActorqErrorCode =
  | 'CONFIG_INVALID'
  | 'NOT_FOUND'
  | 'INVALID_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'QUEUE_FULL'
  | 'ALREADY_SETTLED'
  | 'MESSAGE_RELEASED'
  | 'DRIVER_STOPPED'
  | 'DRIVER_UNAVAILABLE'
  | 'PUBLISH_REJECTED'
  | 'ABORTED'
  | 'START_FAILED'
  | 'STOP_TIMEOUT'
  | 'HANDLER_TIMEOUT'
  | 'MEMORY_LIMIT'
  | 'ISOLATE_LOST'
  | 'LIFECYCLE'
  | 'PERMISSION_DENIED';

/**
 * Base class of every error actorq throws.
 *
 * @example
 * ```ts
 * try { await runtime.publish('app:missing', { a: 1 }) }
 * catch (e) { if (e instanceof ActorqError && e.code === 'NOT_FOUND') ... }
 * ```
 */
export class ActorqError extends Error {
  /** Stable code for programmatic handling. */
  readonly code: ActorqErrorCode;
  /** Whether retrying the same operation later may succeed. */
  readonly retryable: boolean;

  constructor(code: ActorqErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}
