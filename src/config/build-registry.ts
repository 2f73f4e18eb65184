import { resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors/config-error.ts';
import { builtinKinds } from '../kinds/builtin-kinds.ts';
import { checkReferences, writtenPath } from './check-references.ts';
import { cycleMessage, findCycles } from './dependency-graph.ts';
import type { Entry } from './entry-types.ts';
import type { LoadConfigOptions } from './load-config.ts';
import { referencesOf } from './references.ts';
import type { Registry } from './registry.ts';
import { validateEntry } from './validate-entry.ts';
import { parseSource, type RawEntry, type SourceText } from './yaml-source.ts';
import { formatPath } from './zod-issues.ts';

/**
 * The whole pipeline after reading: parse every source, reject duplicate
 * IDs, validate each entry, check references and cycles. Every problem from
 * every step is collected and thrown as one `ConfigError`, in file order.
 * @internal
 *
 * @param earlier problems found before parsing (unreadable paths), reported first
 */
export function buildRegistry(sources: readonly SourceText[], options: LoadConfigOptions = {}, earlier: readonly ConfigIssue[] = []): Registry {
  const kinds = options.kinds ?? builtinKinds;
  const issues: ConfigIssue[] = [...earlier];
  const raw = new Map<string, RawEntry>();

  for (const source of sources) {
    const parsed = parseSource(source);
    issues.push(...parsed.issues);
    for (const entry of parsed.entries) {
      const first = raw.get(entry.id);
      if (first) {
        issues.push({ file: entry.file, line: entry.line, entryId: entry.id, field: 'name', message: `duplicate entry ID ${entry.id} (also defined at ${first.file}:${first.line})` });
      } else raw.set(entry.id, entry);
    }
  }

  const kindOf = new Map([...raw].map(([id, r]) => [id, r.kind]));
  const entries = new Map<string, Entry>();
  for (const r of raw.values()) {
    const result = validateEntry(r, { kinds, kindOf, ...confinementOptions(options) });
    issues.push(...result.issues);
    if (result.entry) entries.set(r.id, result.entry);
  }

  const referenceIssues = checkReferences(entries.values(), { raw, kindOf, extraFunctionIds: new Set(options.extraFunctionIds ?? []) });
  issues.push(...referenceIssues);
  // A queue dead-lettering to itself is already reported as a bad reference; do not call it a cycle too.
  const reported = new Set(referenceIssues.map((i) => `${i.entryId} ${i.field}`));

  const registry: Registry = Object.freeze({ entries, files: Object.freeze(sources.map((s) => s.abs)) });
  for (const cycle of findCycles(registry)) {
    const [from, to] = [cycle[0]!, cycle[1 % cycle.length]!];
    const r = raw.get(from)!;
    const ref = referencesOf(entries.get(from)!).find((x) => x.to === to)!;
    const path = writtenPath(r, ref);
    if (reported.has(`${from} ${formatPath(path)}`)) continue;
    issues.push({ file: r.file, line: r.locate(path), entryId: from, field: formatPath(path), message: cycleMessage(cycle) });
  }

  if (issues.length > 0) throw new ConfigError(inFileOrder(issues, sources));
  return registry;
}

/** The confinement options for entries, the root made absolute. */
function confinementOptions(options: LoadConfigOptions): { root?: string; maxFileBytes?: number } {
  return {
    ...(options.root === undefined ? {} : { root: resolve(options.root) }),
    ...(options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes }),
  };
}

/** Sorts by file (in load order) then line; stable, so same-line issues keep their order. */
function inFileOrder(issues: readonly ConfigIssue[], sources: readonly SourceText[]): ConfigIssue[] {
  const rank = new Map(sources.map((s, i) => [s.file, i]));
  const fileRank = (i: ConfigIssue) => (i.file === undefined ? -1 : rank.get(i.file) ?? -1);
  return [...issues].sort((a, b) => fileRank(a) - fileRank(b) || (a.line ?? 0) - (b.line ?? 0));
}
