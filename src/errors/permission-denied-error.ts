import { ActorqError } from './actorq-error.ts';

/**
 * An operation was refused by the security policies of the actor that
 * asked for it (or, in strict mode, because no actor or no policy scope
 * was there to ask). Nothing was done: a refused publish stores nothing.
 *
 * The message names the actor, the action and the resource, then why:
 * `svc:router may not queue.publish.queue app:forbidden (no policy allows it)`.
 *
 * @example
 * ```ts
 * try { await ctx.publish('app:forbidden', body) }
 * catch (e) { if (e instanceof PermissionDeniedError) ctx.logger.warn(e.message) }
 * ```
 */
export class PermissionDeniedError extends ActorqError {
  /** ID of the actor refused; undefined when there was no actor (strict mode). */
  readonly actor: string | undefined;
  /** The action asked for, e.g. `queue.publish.queue`. */
  readonly action: string;
  /** The resource it was asked on, e.g. a queue ID (`""` for `queue.publish`). */
  readonly resource: string;
  /** Why: the denying policy, "no policy allows it", or the strict-mode rule. */
  readonly reason: string;

  constructor(actor: string | undefined, action: string, resource: string, reason: string) {
    super('PERMISSION_DENIED', `${describeActor(actor)} may not ${action}${resource === '' ? '' : ` ${resource}`} (${reason})`);
    this.actor = actor;
    this.action = action;
    this.resource = resource;
    this.reason = reason;
  }
}

/** How an actor is named in messages: its ID, or what stands in for it. */
function describeActor(actor: string | undefined): string {
  if (actor === undefined) return 'code without an actor';
  return actor === '' ? 'an actor without an ID' : actor;
}
