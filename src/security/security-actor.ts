/**
 * Who is acting: an ID and free-form metadata that policy conditions read
 * (`actor.id`, `actor.meta.role`). A consumer's actor comes from its
 * `security.actor` block; host code may give one to `runtime.publish`.
 * Treat it as immutable: decisions are cached per actor object.
 *
 * @example
 * ```ts
 * const actor: SecurityActor = { id: 'svc:router', meta: { role: 'worker' } }
 * ```
 */
export interface SecurityActor {
  readonly id: string;
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** Metadata of one check (`ctx.can(action, resource, meta)`), read by `meta.*` conditions. */
export type CheckMeta = Readonly<Record<string, unknown>>;

/**
 * What a policy or a scope says about one check. `undefined` (no policy
 * applies) is treated as a denial by every check.
 */
export const Decision = { undefined: 0, allow: 1, deny: 2 } as const;
/** One of {@link Decision}. */
export type DecisionValue = (typeof Decision)[keyof typeof Decision];

/** `allow`, `deny` or `undefined`, for logs. */
export function decisionName(decision: DecisionValue): 'allow' | 'deny' | 'undefined' {
  return decision === Decision.allow ? 'allow' : decision === Decision.deny ? 'deny' : 'undefined';
}

/**
 * A frozen deep copy of an actor from configuration, so that neither a
 * handler nor later edits of the source object change what was decided.
 */
export function frozenActor(actor: SecurityActor): SecurityActor {
  const meta = actor.meta === undefined ? {} : deepFreeze(structuredClone(actor.meta));
  return Object.freeze({ id: actor.id, meta });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}
