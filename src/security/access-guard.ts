import { PermissionDeniedError } from '../errors/permission-denied-error.ts';
import type { Logger } from '../util/logger.ts';
import type { CheckInput } from './condition-fields.ts';
import type { PolicyScope } from './policy-scope.ts';
import { Decision, decisionName, type CheckMeta, type SecurityActor } from './security-actor.ts';

/** The actions actorq itself checks. */
export const QueueAction = {
  /** Publishing at all (resource `""`), checked first, as in Wippy. */
  publish: 'queue.publish',
  /** Publishing to one queue (resource = queue ID). */
  publishQueue: 'queue.publish.queue',
  /** Reading a queue's figures (resource = queue ID). */
  info: 'queue.info',
  /** A consumer taking messages from its queue, checked when it starts (resource = queue ID). */
  consume: 'queue.consume',
} as const;

/**
 * Decisions kept per guard before its cache starts again: a guard's checks
 * are mostly a handful of queues, but `ctx.can` may ask about anything.
 */
const MAX_CACHED = 4096;

/** What a guard is built from. */
export interface AccessGuardOptions {
  /** Undefined: no actor (host code, or a consumer without a `security` block). */
  readonly actor: SecurityActor | undefined;
  /** Undefined: no policies at all. */
  readonly scope: PolicyScope | undefined;
  /** Refuse every check that has no actor or no scope (instead of trusting it). */
  readonly strict: boolean;
  /** Receives denials (warn) and fresh decisions (debug). */
  readonly logger: Logger;
}

/**
 * One security context (an actor and its policy scope) answering checks.
 * With both an actor and a scope, the scope decides, and anything it does
 * not allow is refused; without either, the check is trusted, unless the
 * runtime is in strict mode.
 *
 * Decisions without per-check metadata depend only on (action, resource)
 * for a given guard, so they are cached: a handler that publishes to the
 * same queue for every message pays one map lookup after the first.
 *
 * @example
 * ```ts
 * const guard = new AccessGuard({ actor, scope, strict: false, logger })
 * const denied = guard.checkPublish('app:orders')   // PermissionDeniedError | undefined
 * ```
 */
export class AccessGuard {
  readonly actor: SecurityActor | undefined;
  /** Operations refused (publish, info, consume), for metrics. */
  denials = 0;
  readonly #scope: PolicyScope | undefined;
  readonly #strict: boolean;
  readonly #logger: Logger;
  /** action -> resource -> allowed. */
  readonly #cache = new Map<string, Map<string, boolean>>();
  #cached = 0;
  /** queue ID -> both publish checks passed; the per-message path. */
  readonly #publishable = new Map<string, true>();

  constructor(options: AccessGuardOptions) {
    this.actor = options.actor;
    this.#scope = options.scope;
    this.#strict = options.strict;
    this.#logger = options.logger;
  }

  /**
   * Whether the action on the resource is allowed (`ctx.can`). Never
   * throws, logs nothing at warn and counts nothing: it is a question.
   */
  allows(action: string, resource: string, meta?: CheckMeta): boolean {
    const actor = this.actor;
    const scope = this.#scope;
    if (actor === undefined || scope === undefined) return !this.#strict;
    if (meta !== undefined) return this.#decide(actor, scope, action, resource, meta);
    let byResource = this.#cache.get(action);
    const known = byResource?.get(resource);
    if (known !== undefined) return known;
    const allowed = this.#decide(actor, scope, action, resource, undefined);
    if (this.#cached >= MAX_CACHED) {
      this.#cache.clear();
      this.#cached = 0;
      byResource = undefined;
    }
    if (byResource === undefined) this.#cache.set(action, (byResource = new Map()));
    byResource.set(resource, allowed);
    this.#cached++;
    return allowed;
  }

  /**
   * The error refusing the action on the resource, or undefined when it is
   * allowed. A refusal is counted and logged at warn (names only, never a
   * message body).
   */
  check(action: string, resource: string, fields?: Readonly<Record<string, unknown>>): PermissionDeniedError | undefined {
    if (this.allows(action, resource)) return undefined;
    const error = new PermissionDeniedError(this.actor?.id, action, resource, this.#reason(action, resource));
    this.denials++;
    this.#logger.warn('permission denied', { actor: this.actor?.id, action, resource, reason: error.reason, ...fields });
    return error;
  }

  /** Both checks of a publish, in Wippy's order: `queue.publish` on `""`, then `queue.publish.queue` on the queue. */
  checkPublish(queueId: string): PermissionDeniedError | undefined {
    if (this.#publishable.has(queueId)) return undefined;
    const denied = this.check(QueueAction.publish, '') ?? this.check(QueueAction.publishQueue, queueId);
    if (denied === undefined) {
      if (this.#publishable.size >= MAX_CACHED) this.#publishable.clear();
      this.#publishable.set(queueId, true);
    }
    return denied;
  }

  /** `queue.info` on the queue. */
  checkInfo(queueId: string): PermissionDeniedError | undefined {
    return this.check(QueueAction.info, queueId);
  }

  /** `queue.consume` on the queue. */
  checkConsume(queueId: string): PermissionDeniedError | undefined {
    return this.check(QueueAction.consume, queueId);
  }

  #decide(actor: SecurityActor, scope: PolicyScope, action: string, resource: string, meta: CheckMeta | undefined): boolean {
    const input: CheckInput = { actor, action, resource, meta };
    const verdict = scope.evaluate(input);
    this.#logger.debug('security decision', { actor: actor.id, action, resource, decision: decisionName(verdict.decision), ...(verdict.policy ? { policy: verdict.policy } : {}) });
    return verdict.decision === Decision.allow;
  }

  /** Why a check is refused, worked out again (refusals are rare; the cache keeps only yes or no). */
  #reason(action: string, resource: string): string {
    if (this.actor === undefined) return 'strict mode: no actor';
    if (this.#scope === undefined) return 'strict mode: no policies';
    const verdict = this.#scope.evaluate({ actor: this.actor, action, resource, meta: undefined });
    return verdict.decision === Decision.deny ? `denied by ${verdict.policy}` : 'no policy allows it';
  }
}
