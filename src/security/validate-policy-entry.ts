import type { EntryBase, LifecycleSecurity, PolicyEntry } from '../config/entry-types.ts';
import type { RawEntry } from '../config/yaml-source.ts';
import { zodIssuesToConfig } from '../config/zod-issues.ts';
import type { ConfigIssue } from '../errors/config-error.ts';
import { groupId, POLICY_KIND, policyEntrySchema } from './policy-schema.ts';
import { securityBlockSchema } from './security-block-schema.ts';

/**
 * Validates a `security.policy` entry: its shape, and each condition's
 * field, operator and value (see `policy-schema.ts`). Group names come out
 * as full IDs. @internal
 */
export function validatePolicyEntry(raw: RawEntry, data: Readonly<Record<string, unknown>>, base: EntryBase): { entry?: PolicyEntry; issues: ConfigIssue[] } {
  const result = policyEntrySchema.safeParse(data);
  if (!result.success) return { issues: zodIssuesToConfig(result.error, raw, data, policyEntrySchema) };
  const { policy, groups } = result.data;
  const entry: PolicyEntry = { ...base, kind: POLICY_KIND, policy, groups: [...new Set(groups.map((g) => groupId(g, raw.namespace)))] };
  return { entry, issues: [] };
}

/**
 * Splits the `security` block off a function entry's data (the function
 * kinds' own schemas do not know it) and validates it. @internal
 */
export function takeFunctionSecurity(raw: RawEntry, data: Record<string, unknown>): { own: Record<string, unknown>; security?: LifecycleSecurity; issues: ConfigIssue[] } {
  const { security, ...own } = data;
  if (security === undefined) return { own, issues: [] };
  const result = securityBlockSchema.safeParse(security);
  if (!result.success) return { own, issues: zodIssuesToConfig(result.error, raw, security, securityBlockSchema, ['security']) };
  return { own, security: result.data, issues: [] };
}
