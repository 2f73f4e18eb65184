import type { CompiledPolicy } from './compiled-policy.ts';
import type { CheckInput } from './condition-fields.ts';
import { Decision, type DecisionValue } from './security-actor.ts';

/** A scope's answer to one check, with the policy that decided it. */
export interface ScopeVerdict {
  readonly decision: DecisionValue;
  /** The denying policy, or the first allowing one; undefined when none applied. */
  readonly policy: string | undefined;
}

/**
 * The policies a security context holds (its `policies` plus every policy
 * of its `groups`, each once). Evaluation is Wippy's: any policy that
 * denies wins; otherwise any that allows allows; otherwise the answer is
 * undefined, which every check treats as a denial.
 *
 * @example
 * ```ts
 * const scope = new PolicyScope([allowPublish, denyForbidden])
 * scope.evaluate({ actor, action: 'queue.publish.queue', resource: 'app:forbidden', meta: undefined }).decision // Decision.deny
 * ```
 */
export class PolicyScope {
  readonly policies: readonly CompiledPolicy[];

  constructor(policies: Iterable<CompiledPolicy>) {
    // One policy reached twice (listed and in a group) counts once.
    this.policies = [...new Map([...policies].map((p) => [p.id, p])).values()];
  }

  evaluate(input: CheckInput): ScopeVerdict {
    let allowedBy: string | undefined;
    for (const policy of this.policies) {
      const decision = policy.evaluate(input);
      if (decision === Decision.deny) return { decision, policy: policy.id };
      if (decision === Decision.allow) allowedBy ??= policy.id;
    }
    return allowedBy === undefined ? { decision: Decision.undefined, policy: undefined } : { decision: Decision.allow, policy: allowedBy };
  }
}
