import { z } from 'zod';
import { fieldPathProblem } from './condition-fields.ts';
import { OPERATORS, type Operator } from './condition-operators.ts';

/** Kind of security policy entries. */
export const POLICY_KIND = 'security.policy';

/** One condition of a policy, as validated. */
export interface PolicyCondition {
  /** `actor.id`, `actor.meta.<key>`, `action`, `resource` or `meta.<key>`. */
  readonly field: string;
  readonly operator: Operator;
  /** The literal compared with (absent with `value_from`; a boolean, default true, for `exists`/`nexists`). */
  readonly value?: unknown;
  /** Another field path whose value is compared with, instead of `value`. */
  readonly value_from?: string;
}

/** The `policy` block of a `security.policy` entry, lists normalised. */
export interface PolicyDefinition {
  /** Action patterns: `*`, exact names, or a trailing `*` wildcard (`queue.*`). */
  readonly actions: readonly string[];
  /** Resource patterns, with the same wildcards (`app:orders*`). */
  readonly resources: readonly string[];
  readonly effect: 'allow' | 'deny';
  /** All must hold for the policy to apply. */
  readonly conditions: readonly PolicyCondition[];
}

/**
 * `"*"`, one pattern, or a non-empty list of them; always a list after
 * parsing. In a list, `""` names the empty resource, the one Wippy's
 * `queue.publish` check uses.
 */
const patterns = z
  .union([z.string().min(1), z.array(z.string()).min(1)])
  .transform((v): readonly string[] => (typeof v === 'string' ? [v] : v));

const isScalar = (v: unknown) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/**
 * One condition. Beyond the shape, the rules an evaluator would otherwise
 * meet at run time are checked here, so a malformed condition is a
 * configuration error instead of a policy that silently never applies.
 */
const conditionSchema = z
  .object({
    field: z.string(),
    operator: z.enum(OPERATORS),
    value: z.unknown().optional(),
    value_from: z.string().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const fieldProblem = fieldPathProblem(c.field);
    if (fieldProblem) problem('field', fieldProblem);
    // YAML `value:` with nothing after it reads as null: not a value.
    const hasValue = c.value !== undefined && c.value !== null;
    if (c.value_from !== undefined) {
      const fromProblem = fieldPathProblem(c.value_from);
      if (fromProblem) problem('value_from', fromProblem);
      if (hasValue) problem('value_from', 'give value or value_from, not both');
    }
    const op = c.operator;
    if (op === 'exists' || op === 'nexists') {
      if (c.value_from !== undefined) problem('value_from', `${op} takes no value_from (its value, true or false, says whether the field must exist)`);
      else if (hasValue && typeof c.value !== 'boolean') problem('value', `${op} takes true or false, got ${JSON.stringify(c.value)}`);
      return;
    }
    if (op === 'matches' || op === 'nmatches') {
      if (c.value_from !== undefined) problem('value_from', `${op} takes its regular expression as a literal value, not value_from`);
      else if (typeof c.value !== 'string') problem('value', `${op} needs a regular expression (a string)`);
      else {
        try {
          new RegExp(c.value);
        } catch (e) {
          problem('value', e instanceof Error ? e.message : `invalid regular expression: ${String(e)}`);
        }
      }
      return;
    }
    if (!hasValue && c.value_from === undefined) {
      problem('value', `${op} needs a value or value_from`);
      return;
    }
    if (!hasValue) return;
    if (op === 'lt' || op === 'gt' || op === 'lte' || op === 'gte') {
      if (typeof c.value !== 'number' || !Number.isFinite(c.value)) problem('value', `${op} needs a number, got ${JSON.stringify(c.value)}`);
    } else if (op === 'in' || op === 'nin') {
      if (!Array.isArray(c.value) || !c.value.every(isScalar)) problem('value', `${op} needs a list of strings, numbers or booleans`);
    } else if (!isScalar(c.value)) {
      problem('value', `${op} needs a string, number or boolean, got ${Array.isArray(c.value) ? 'a list' : 'a mapping'}`);
    }
  })
  .transform(
    (c): PolicyCondition => ({
      field: c.field,
      operator: c.operator,
      ...(c.value !== undefined && c.value !== null ? { value: c.value } : {}),
      ...(c.value_from !== undefined ? { value_from: c.value_from } : {}),
    }),
  );

/** A group name: bare (`workers`, in the policy's namespace) or a full ID (`app:workers`). */
const groupName = z.string().regex(/^(?:[^\s:]+:)?[^\s:]+$/, { message: 'expected a group name (workers) or a group ID (namespace:workers)' });

/**
 * The fields of a `security.policy` entry (besides name/kind/meta).
 *
 * @example
 * ```yaml
 * - name: can_publish
 *   kind: security.policy
 *   policy:
 *     actions: queue.publish*
 *     resources: "*"
 *     effect: allow
 *     conditions:
 *       - { field: actor.meta.role, operator: eq, value: worker }
 *   groups: [workers]
 * ```
 */
export const policyEntrySchema = z
  .object({
    policy: z
      .object({
        actions: patterns,
        resources: patterns,
        effect: z.enum(['allow', 'deny']),
        conditions: z.array(conditionSchema).default([]),
      })
      .strict(),
    groups: z.array(groupName).default([]),
  })
  .strict();

/**
 * The full ID of a group named in a policy: a bare name belongs to the
 * policy's namespace.
 *
 * @example
 * ```ts
 * groupId('workers', 'app')        // 'app:workers'
 * groupId('shared:workers', 'app') // 'shared:workers'
 * ```
 */
export function groupId(name: string, namespace: string): string {
  return name.includes(':') ? name : `${namespace}:${name}`;
}
