import type { Entry, PolicyEntry } from '../config/entry-types.ts';
import type { Registry } from '../config/registry.ts';
import { NotFoundError } from '../errors/not-found-error.ts';
import { CompiledPolicy } from './compiled-policy.ts';
import { PolicyScope } from './policy-scope.ts';
import { POLICY_KIND } from './policy-schema.ts';

/** Scopes remembered by their lists before the memo starts again. */
const MAX_MEMO_SCOPES = 1024;

/**
 * Whether `e` is a `security.policy` entry.
 *
 * @example
 * ```ts
 * const policies = [...registry.entries.values()].filter(isPolicyEntry)
 * ```
 */
export function isPolicyEntry(e: Entry): e is PolicyEntry {
  return e.kind === POLICY_KIND;
}

/**
 * Every policy of a registry, compiled, and every group (the policies that
 * list it). Scopes are resolved from it by ID; a scope asked for twice
 * with the same lists is the same object, so decisions cached against it
 * are shared.
 *
 * @example
 * ```ts
 * const catalog = SecurityCatalog.fromRegistry(registry)
 * const scope = catalog.scopeOf(['app:can_publish'], ['app:workers'])
 * ```
 */
export class SecurityCatalog {
  readonly #policies = new Map<string, CompiledPolicy>();
  readonly #groups = new Map<string, CompiledPolicy[]>();
  readonly #scopes = new Map<string, PolicyScope | undefined>();

  /** Compiles the `security.policy` entries of a validated registry. */
  static fromRegistry(registry: Registry): SecurityCatalog {
    const catalog = new SecurityCatalog();
    for (const entry of registry.entries.values()) {
      if (!isPolicyEntry(entry)) continue;
      const policy = new CompiledPolicy(entry.id, entry.policy);
      catalog.#policies.set(entry.id, policy);
      for (const group of entry.groups) {
        const members = catalog.#groups.get(group);
        if (members) members.push(policy);
        else catalog.#groups.set(group, [policy]);
      }
    }
    return catalog;
  }

  /** Whether a policy with this ID exists. */
  hasPolicy(id: string): boolean {
    return this.#policies.has(id);
  }

  /** Whether a group with this ID has at least one policy. */
  hasGroup(id: string): boolean {
    return this.#groups.has(id);
  }

  /**
   * The scope of the given policies and groups (full IDs), or undefined
   * when both lists are empty: no scope, which only strict mode refuses.
   *
   * @throws NotFoundError naming an unknown policy or group (nothing is guessed or skipped).
   */
  scopeOf(policies: readonly string[] = [], groups: readonly string[] = []): PolicyScope | undefined {
    const key = `${policies.join('\n')}\t${groups.join('\n')}`;
    if (this.#scopes.has(key)) return this.#scopes.get(key);
    const members: CompiledPolicy[] = [];
    for (const id of policies) {
      const policy = this.#policies.get(id);
      if (!policy) throw new NotFoundError('security policy', id);
      members.push(policy);
    }
    for (const id of groups) {
      const group = this.#groups.get(id);
      if (!group) throw new NotFoundError('security policy group', id, 'no security.policy entry lists it');
      members.push(...group);
    }
    const scope = members.length === 0 ? undefined : new PolicyScope(members);
    // Host code may pass lists made per call; the memo stays small whatever it does.
    if (this.#scopes.size >= MAX_MEMO_SCOPES) this.#scopes.clear();
    this.#scopes.set(key, scope);
    return scope;
  }
}
