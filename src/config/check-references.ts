import type { ConfigIssue } from '../errors/config-error.ts';
import type { Entry } from './entry-types.ts';
import { referencesOf, type EntryReference, type ReferenceTarget } from './references.ts';
import { DRIVER_KIND_PREFIX, FUNCTION_KIND_PREFIX, QUEUE_KIND } from './registry.ts';
import type { RawEntry } from './yaml-source.ts';
import { formatPath } from './zod-issues.ts';
import { checkSecurityReferences } from '../security/check-security-references.ts';

/** What reference checking needs besides the entries. @internal */
export interface ReferenceContext {
  /** Raw entries by ID, to point at the line of each reference. */
  readonly raw: ReadonlyMap<string, RawEntry>;
  /**
   * Kind of every well-formed entry by ID, including those that failed
   * validation, so that one bad entry does not also make every reference
   * to it an error.
   */
  readonly kindOf: ReadonlyMap<string, string>;
  /** Functions supplied in code; valid targets of `func` and `requires`. */
  readonly extraFunctionIds: ReadonlySet<string>;
}

const TARGET_TEXT: Record<ReferenceTarget, string> = {
  driver: `a ${DRIVER_KIND_PREFIX}* entry`,
  queue: `a ${QUEUE_KIND} entry`,
  function: `a ${FUNCTION_KIND_PREFIX}* entry or a function supplied in code`,
  entry: 'an entry',
};

/**
 * Checks that every reference (`driver`, `queue`, `func`,
 * `dead_letter.queue`, `requires`/`depends_on` items, and the policies and
 * groups of `security` blocks) names an existing entry of the right kind. @internal
 */
export function checkReferences(entries: Iterable<Entry>, ctx: ReferenceContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const list = [...entries];
  for (const entry of list) {
    const raw = ctx.raw.get(entry.id)!;
    for (const ref of referencesOf(entry)) {
      const message = problemWith(entry, ref, ctx);
      if (!message) continue;
      const path = writtenPath(raw, ref);
      issues.push({ file: raw.file, line: raw.locate(path), entryId: entry.id, field: formatPath(path), message });
    }
  }
  // Policies and groups of `security` blocks: unknown or empty ones fail the load.
  issues.push(...checkSecurityReferences(list, ctx.raw, ctx.kindOf));
  return issues;
}

function problemWith(entry: Entry, ref: EntryReference, ctx: ReferenceContext): string | undefined {
  const { to, target } = ref;
  if (!/^[^\s:]+:[^\s:]+$/.test(to)) {
    const guess = `${entry.namespace}:${to}`;
    const hint = ctx.kindOf.has(guess) ? ` (did you mean ${guess}?)` : '';
    return `expected a registry ID namespace:name, got "${to}"${hint}`;
  }
  if (target === 'queue' && ref.path[0] === 'dead_letter' && to === entry.id) {
    return 'a queue cannot be its own dead-letter queue';
  }
  const kind = ctx.kindOf.get(to);
  if (kind === undefined) {
    if ((target === 'function' || target === 'entry') && ctx.extraFunctionIds.has(to)) return undefined;
    return `references ${to}, which does not exist (expected ${TARGET_TEXT[target]})`;
  }
  const fits =
    target === 'entry' ||
    (target === 'driver' && kind.startsWith(DRIVER_KIND_PREFIX)) ||
    (target === 'queue' && kind === QUEUE_KIND) ||
    (target === 'function' && kind.startsWith(FUNCTION_KIND_PREFIX));
  return fits ? undefined : `references ${to}, which is a ${kind} entry (expected ${TARGET_TEXT[target]})`;
}

/**
 * Where the user wrote a reference (@internal). `lifecycle.requires` merges two
 * written lists, so an item is found again in `requires` or `depends_on`.
 */
export function writtenPath(raw: RawEntry, ref: EntryReference): readonly (string | number)[] {
  if (ref.path[0] !== 'lifecycle') return ref.path;
  const lifecycle = raw.data['lifecycle'] as Record<string, unknown> | undefined;
  for (const key of ['requires', 'depends_on']) {
    const list = lifecycle?.[key];
    const i = Array.isArray(list) ? list.indexOf(ref.to) : -1;
    if (i >= 0) return ['lifecycle', key, i];
  }
  return ['lifecycle'];
}
