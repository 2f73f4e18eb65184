import { fieldReader, type CheckInput, type FieldReader } from './condition-fields.ts';
import { compare, type Operator } from './condition-operators.ts';
import type { PolicyCondition, PolicyDefinition } from './policy-schema.ts';
import { Decision, type DecisionValue } from './security-actor.ts';

/** A condition with its field readers and regular expression made once. */
interface CompiledCondition {
  readonly operator: Operator;
  readonly field: FieldReader;
  /** Reads the compared value: the literal, or another field. */
  readonly other: FieldReader;
  readonly pattern: RegExp | undefined;
}

/**
 * Whether a pattern matches a name, as Wippy matches actions and
 * resources: `*` matches everything; a trailing `.*` or `*` makes the rest
 * a prefix (`queue.*` matches `queue`, `queue.publish` and `queuex`, the
 * text before `.*` being the prefix); anything else must be equal.
 *
 * @example
 * ```ts
 * matchesPattern('queue.*', 'queue.publish.queue') // true
 * matchesPattern('app:orders*', 'app:orders_eu')   // true
 * matchesPattern('queue.publish', 'queue.info')    // false
 * ```
 */
export function matchesPattern(pattern: string, name: string): boolean {
  if (pattern === '*' || pattern === name) return true;
  if (pattern.length > 2 && pattern.endsWith('.*')) return name.startsWith(pattern.slice(0, -2));
  if (pattern.length > 1 && pattern.endsWith('*')) return name.startsWith(pattern.slice(0, -1));
  return false;
}

/**
 * A `security.policy` entry ready to evaluate. Its conditions were
 * validated at load; here each becomes a pair of readers.
 *
 * @example
 * ```ts
 * const policy = new CompiledPolicy('app:can_publish', { actions: ['queue.*'], resources: ['*'], effect: 'allow', conditions: [] })
 * policy.evaluate({ actor, action: 'queue.publish', resource: '', meta: undefined }) // Decision.allow
 * ```
 */
export class CompiledPolicy {
  readonly id: string;
  readonly #actions: readonly string[];
  readonly #resources: readonly string[];
  readonly #effect: DecisionValue;
  readonly #conditions: readonly CompiledCondition[];

  constructor(id: string, definition: PolicyDefinition) {
    this.id = id;
    this.#actions = definition.actions;
    this.#resources = definition.resources;
    this.#effect = definition.effect === 'deny' ? Decision.deny : Decision.allow;
    this.#conditions = definition.conditions.map(compileCondition);
  }

  /** This policy's effect when it applies to the check; `Decision.undefined` when it does not. */
  evaluate(input: CheckInput): DecisionValue {
    if (!this.#actions.some((p) => matchesPattern(p, input.action))) return Decision.undefined;
    if (!this.#resources.some((p) => matchesPattern(p, input.resource))) return Decision.undefined;
    for (const c of this.#conditions) {
      if (!compare(c.operator, c.field(input), c.other(input), c.pattern)) return Decision.undefined;
    }
    return this.#effect;
  }
}

function compileCondition(condition: PolicyCondition): CompiledCondition {
  const literal = condition.value;
  return {
    operator: condition.operator,
    field: fieldReader(condition.field),
    other: condition.value_from === undefined ? () => literal : fieldReader(condition.value_from),
    pattern: condition.operator === 'matches' || condition.operator === 'nmatches' ? new RegExp(String(literal)) : undefined,
  };
}
