import { ActorqError } from './actorq-error.ts';

/**
 * A queue, entry or backend object that was named does not exist.
 *
 * @example
 * ```ts
 * await runtime.publish('app:nope', { x: 1 }) // rejects with NotFoundError
 * ```
 */
export class NotFoundError extends ActorqError {
  /** What kind of thing was missing: `queue`, `entry`, `function`. */
  readonly what: string;
  /** The name or ID that was looked up. */
  readonly ref: string;

  constructor(what: string, ref: string, detail?: string) {
    super('NOT_FOUND', `${what} not found: ${ref}${detail ? ` (${detail})` : ''}`);
    this.what = what;
    this.ref = ref;
  }
}
