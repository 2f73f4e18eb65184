import type { Entry, LifecycleSecurity } from '../config/entry-types.ts';
import { isConsumerEntry, isFunctionEntry } from '../config/registry.ts';
import type { RawEntry } from '../config/yaml-source.ts';
import { formatPath } from '../config/zod-issues.ts';
import type { ConfigIssue } from '../errors/config-error.ts';
import { groupId, POLICY_KIND } from './policy-schema.ts';

/**
 * Fail-closed resolution of every `security` block, at load: each policy
 * must name a `security.policy` entry and each group must be listed by at
 * least one policy (an empty or unknown group is the same mistake). Wippy
 * skips what it cannot find, which silently narrows or widens access;
 * here it is a configuration error naming the entry and the field.
 *
 * Group membership is read from the written policy entries, so one policy
 * that fails validation does not also make its groups unknown.
 * @internal
 */
export function checkSecurityReferences(entries: Iterable<Entry>, raw: ReadonlyMap<string, RawEntry>, kindOf: ReadonlyMap<string, string>): ConfigIssue[] {
  const groups = writtenGroups(raw.values());
  const issues: ConfigIssue[] = [];
  for (const entry of entries) {
    const located = blockOf(entry);
    if (!located) continue;
    const [block, at] = located;
    const r = raw.get(entry.id)!;
    const report = (path: (string | number)[], message: string) =>
      issues.push({ file: r.file, line: r.locate(path), entryId: entry.id, field: formatPath(path), message });
    block.policies?.forEach((id, i) => {
      const problem = policyProblem(id, entry.namespace, kindOf);
      if (problem) report([...at, 'policies', i], problem);
    });
    block.groups?.forEach((id, i) => {
      const problem = groupProblem(id, entry.namespace, groups);
      if (problem) report([...at, 'groups', i], problem);
    });
  }
  return issues;
}

/** The entry's `security` block and where it is written. */
function blockOf(entry: Entry): [LifecycleSecurity, (string | number)[]] | undefined {
  if (isConsumerEntry(entry) && entry.lifecycle.security) return [entry.lifecycle.security, ['lifecycle', 'security']];
  if (isFunctionEntry(entry) && entry.security) return [entry.security, ['security']];
  return undefined;
}

const FULL_ID = /^[^\s:]+:[^\s:]+$/;

function policyProblem(id: string, namespace: string, kindOf: ReadonlyMap<string, string>): string | undefined {
  if (!FULL_ID.test(id)) {
    const guess = `${namespace}:${id}`;
    const hint = kindOf.get(guess) === POLICY_KIND ? ` (did you mean ${guess}?)` : '';
    return `expected a policy ID namespace:name, got "${id}"${hint}`;
  }
  const kind = kindOf.get(id);
  if (kind === undefined) return `references ${id}, which does not exist (expected a ${POLICY_KIND} entry)`;
  if (kind !== POLICY_KIND) return `references ${id}, which is a ${kind} entry (expected a ${POLICY_KIND} entry)`;
  return undefined;
}

function groupProblem(id: string, namespace: string, groups: ReadonlySet<string>): string | undefined {
  if (!FULL_ID.test(id)) {
    const guess = `${namespace}:${id}`;
    const hint = groups.has(guess) ? ` (did you mean ${guess}?)` : '';
    return `expected a group ID namespace:name, got "${id}"${hint}`;
  }
  if (!groups.has(id)) return `references group ${id}, which no ${POLICY_KIND} entry lists (a group is the policies that list it under groups; an empty group is refused)`;
  return undefined;
}

/** Every group some written policy entry lists, bare names in that entry's namespace. */
function writtenGroups(raws: Iterable<RawEntry>): Set<string> {
  const groups = new Set<string>();
  for (const r of raws) {
    if (r.kind !== POLICY_KIND || !Array.isArray(r.data['groups'])) continue;
    for (const name of r.data['groups']) if (typeof name === 'string' && name !== '') groups.add(groupId(name, r.namespace));
  }
  return groups;
}
