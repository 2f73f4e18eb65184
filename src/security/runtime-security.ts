import type { ConsumerEntry, LifecycleSecurity } from '../config/entry-types.ts';
import { isFunctionEntry, type Registry } from '../config/registry.ts';
import { PermissionDeniedError } from '../errors/permission-denied-error.ts';
import { childLogger, type Logger } from '../util/logger.ts';
import { AccessGuard, QueueAction } from './access-guard.ts';
import type { PolicyScope } from './policy-scope.ts';
import { frozenActor, type SecurityActor } from './security-actor.ts';
import { SecurityCatalog } from './security-catalog.ts';

/**
 * The runtime's `security` option.
 *
 * @example
 * ```ts
 * createRuntime({ files: ['config/'], security: { strict_mode: true } })
 * ```
 */
export interface SecurityOptions {
  /**
   * Refuse every check made without an actor or without policies: host
   * code must then publish with an actor, and every consumer needs a
   * `security` block (one without fails to start). Off by default, so
   * configurations without security keep working.
   * @default false
   */
  readonly strict_mode?: boolean;
}

/**
 * Who host code acts as (options of `runtime.publish`): an actor and the
 * policies and groups (full registry IDs) that decide for it. Without an
 * actor, host code is trusted unless the runtime is in strict mode.
 */
export interface HostSecurityContext {
  readonly actor?: SecurityActor;
  readonly policies?: readonly string[];
  readonly groups?: readonly string[];
}

/** Key for "no scope" in a per-actor guard table. */
const NO_SCOPE = {};

/**
 * The security of one loaded registry: its compiled policies, the guard
 * of each consumer, and the guards host code publishes through.
 *
 * @example
 * ```ts
 * const security = new RuntimeSecurity(registry, { strict_mode: false }, logger)
 * const guard = security.forConsumer(consumerEntry)   // undefined: nothing to check
 * ```
 */
export class RuntimeSecurity {
  readonly catalog: SecurityCatalog;
  readonly strict: boolean;
  readonly #registry: Registry;
  readonly #logger: Logger;
  /** Host code's guards, per actor object then per scope. */
  readonly #hostGuards = new WeakMap<SecurityActor, Map<object, AccessGuard>>();
  #actorless: AccessGuard | undefined;

  constructor(registry: Registry, options: SecurityOptions | undefined, logger: Logger) {
    this.catalog = SecurityCatalog.fromRegistry(registry);
    this.strict = options?.strict_mode === true;
    this.#registry = registry;
    this.#logger = logger;
  }

  /**
   * The guard a consumer's handler runs under: its function entry's
   * `security` block when it has one (it applies to every call of that
   * function), else the consumer's `lifecycle.security`. A block without
   * `actor` acts as an actor with an empty ID, as in Wippy. Undefined when
   * there is no block and the runtime is not strict: nothing to check.
   *
   * @throws NotFoundError for a policy or group that does not exist (a registry built by hand).
   */
  forConsumer(consumer: ConsumerEntry): AccessGuard | undefined {
    const fn = this.#registry.entries.get(consumer.func);
    const block: LifecycleSecurity | undefined = (fn && isFunctionEntry(fn) ? fn.security : undefined) ?? consumer.lifecycle.security;
    if (block === undefined && !this.strict) return undefined;
    return new AccessGuard({
      actor: block === undefined ? undefined : frozenActor(block.actor ?? { id: '' }),
      scope: block === undefined ? undefined : this.catalog.scopeOf(block.policies, block.groups),
      strict: this.strict,
      logger: childLogger(this.#logger, { consumer: consumer.id }),
    });
  }

  /**
   * The guard for host code acting as `context`, or undefined when host
   * code is trusted (no actor, not strict).
   *
   * @throws PermissionDeniedError when the actor is not `{ id: string, meta? }`.
   * @throws NotFoundError for a policy or group that does not exist.
   */
  forHost(context: HostSecurityContext | undefined): AccessGuard | undefined {
    const actor = context?.actor;
    if (actor === undefined) {
      if (!this.strict) return undefined;
      return (this.#actorless ??= new AccessGuard({ actor: undefined, scope: undefined, strict: true, logger: this.#logger }));
    }
    if (actor === null || typeof actor !== 'object' || typeof actor.id !== 'string') {
      throw new PermissionDeniedError(undefined, QueueAction.publish, '', 'the actor must be an object { id: string, meta? }');
    }
    const scope: PolicyScope | undefined = this.catalog.scopeOf(context?.policies, context?.groups);
    let byScope = this.#hostGuards.get(actor);
    if (byScope === undefined) this.#hostGuards.set(actor, (byScope = new Map()));
    let guard = byScope.get(scope ?? NO_SCOPE);
    if (guard === undefined) {
      guard = new AccessGuard({ actor, scope, strict: this.strict, logger: this.#logger });
      byScope.set(scope ?? NO_SCOPE, guard);
    }
    return guard;
  }
}
