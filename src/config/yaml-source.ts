import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node } from 'yaml';
import type { ConfigIssue } from '../errors/config-error.ts';

/** One registry file's text and where it came from. @internal */
export interface SourceText {
  /** Path to show in errors: as the user gave it, or as found in a directory. */
  readonly file: string;
  /** Absolute path (or `<inline>`), stored on entries. */
  readonly abs: string;
  readonly text: string;
}

/**
 * An entry as written, before validation: its identity, its data and a way
 * back to the YAML so that every later check can point at a line. @internal
 */
export interface RawEntry {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  readonly meta: Readonly<Record<string, unknown>>;
  /** Every key except `name`, `kind` and `meta`. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly file: string;
  readonly abs: string;
  /** 1-based line where the entry starts. */
  readonly line: number;
  /** Line of the field at `path` inside the entry, or of its nearest written ancestor. */
  locate(path: readonly PropertyKey[]): number;
}

/** What parsing one file produced. @internal */
export interface ParsedSource {
  readonly entries: RawEntry[];
  readonly issues: ConfigIssue[];
}

/**
 * Alias uses allowed while turning a file into data (yaml's measure: uses
 * of an anchor times the uses nested inside it). An anchor shared by
 * thousands of entries fits; an alias bomb, which grows by a factor per
 * level, passes it within a few levels.
 */
const MAX_ALIAS_COUNT = 10_000;
const ALIAS_BOMB = `aliases expand past ${MAX_ALIAS_COUNT} copies (an alias bomb?): write the repeated values out or share fewer of them`;
const TOP_LEVEL_KEYS = new Set(['namespace', 'version', 'meta', 'entries']);
const ENTRY_HEADER_KEYS = new Set(['name', 'kind', 'meta']);
// A ':' would make `namespace:name` ambiguous; whitespace is always a typo.
const NAME_PATTERN = /^[^\s:]+$/;

/**
 * Parses one registry file (`namespace`, `version`, `entries:`) into raw
 * entries. Structural problems become issues with the file and line; the
 * entries that are well-formed are still returned so that one pass reports
 * as much as possible. @internal
 */
export function parseSource(source: SourceText): ParsedSource {
  const { file } = source;
  const issues: ConfigIssue[] = [];
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter, prettyErrors: false });
  const lineOf = (node: Node | null | undefined): number =>
    node?.range ? lineCounter.linePos(node.range[0]).line : 0;

  if (doc.errors.length > 0) {
    // Only the first: after one syntax error the parser's recovery reports echoes of it, not new mistakes.
    const e = doc.errors[0]!;
    // An unclosed bracket is reported at the end of the text; point at the last written line instead.
    const lastLine = source.text.trimEnd().split('\n').length;
    const entryId = entryAt(doc.contents, e.pos[0]);
    const line = Math.max(1, Math.min(lineCounter.linePos(e.pos[0]).line, lastLine));
    const more = doc.errors.length > 1 ? ` (${doc.errors.length - 1} more after it, which may follow from this one)` : '';
    const what = e.code === 'DUPLICATE_KEY' ? duplicateKey(source.text, e.pos[0]) : yamlMessage(e.message);
    issues.push({ file, line, ...(entryId ? { entryId } : {}), message: `YAML syntax error: ${what}${more}` });
    return { entries: [], issues };
  }
  const root = doc.contents;
  if (!isMap(root)) {
    const what = root === null ? 'the file is empty' : 'the top level is not a mapping';
    issues.push({ file, line: lineOf(root) || 1, message: `${what}: expected a mapping with namespace and entries` });
    return { entries: [], issues };
  }

  let js: Record<string, unknown>;
  try {
    js = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as Record<string, unknown>;
  } catch (e) {
    // yaml refuses aliases that would expand past the limit (a "billion laughs" file) by throwing.
    const alias = firstAlias(doc);
    const message = /Excessive alias count/.test(String(e)) ? ALIAS_BOMB : `cannot read the YAML: ${yamlMessage(e instanceof Error ? e.message : String(e))}`;
    issues.push({ file, line: alias ? lineOf(alias) : 1, message });
    return { entries: [], issues };
  }
  for (const pair of root.items) {
    const key = keyText(pair.key);
    if (!TOP_LEVEL_KEYS.has(key)) {
      issues.push({ file, line: lineOf(pair.key as Node), field: key, message: `unknown top-level field (allowed: ${[...TOP_LEVEL_KEYS].join(', ')})` });
    }
  }
  const namespace = js['namespace'];
  if (namespace === undefined || namespace === null) {
    issues.push({ file, line: 1, field: 'namespace', message: 'missing required top-level field namespace (e.g. namespace: app.queue)' });
    return { entries: [], issues };
  }
  if (typeof namespace !== 'string' || !NAME_PATTERN.test(namespace)) {
    issues.push({ file, line: lineOf(root.get('namespace', true) as Node), field: 'namespace', message: `expected a namespace without spaces or ':', got ${describe(namespace)}` });
    return { entries: [], issues };
  }
  const version = js['version'];
  if (version !== undefined && typeof version !== 'string' && typeof version !== 'number') {
    issues.push({ file, line: lineOf(root.get('version', true) as Node), field: 'version', message: `expected a string, got ${describe(version)}` });
  }

  const entriesNode = root.get('entries', true) as Node | undefined;
  if (entriesNode === undefined || (isScalar(entriesNode) && entriesNode.value === null)) return { entries: [], issues };
  if (!isSeq(entriesNode)) {
    issues.push({ file, line: lineOf(entriesNode), field: 'entries', message: `expected a list of entries, got ${describe(js['entries'])}` });
    return { entries: [], issues };
  }

  const entries: RawEntry[] = [];
  const jsEntries = js['entries'] as unknown[];
  entriesNode.items.forEach((node, index) => {
    const line = lineOf(node as Node);
    const value = jsEntries[index];
    if (!isMap(node) || !isPlainObject(value)) {
      issues.push({ file, line, field: `entries[${index}]`, message: `expected an entry mapping with name and kind, got ${describe(value)}` });
      return;
    }
    const { name, kind, meta } = value;
    const bad = (field: string, message: string): void => {
      const id = typeof name === 'string' && NAME_PATTERN.test(name) ? `${namespace}:${name}` : undefined;
      issues.push({ file, line: lineOf((node.get(field, true) as Node | undefined) ?? node), ...(id ? { entryId: id } : {}), field, message });
    };
    let ok = true;
    if (name === undefined || name === null) (ok = false), bad('name', 'missing required field name');
    else if (typeof name !== 'string' || !NAME_PATTERN.test(name)) (ok = false), bad('name', `expected a name without spaces or ':', got ${describe(name)}`);
    if (kind === undefined || kind === null) (ok = false), bad('kind', 'missing required field kind');
    else if (typeof kind !== 'string') (ok = false), bad('kind', `expected a string, got ${describe(kind)}`);
    if (meta !== undefined && meta !== null && !isPlainObject(meta)) (ok = false), bad('meta', `expected a mapping, got ${describe(meta)}`);
    if (!ok) return;

    const data: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!ENTRY_HEADER_KEYS.has(k)) data[k] = v;
    entries.push({
      id: `${namespace}:${name as string}`,
      namespace,
      name: name as string,
      kind: kind as string,
      meta: isPlainObject(meta) ? meta : {},
      data,
      file,
      abs: source.abs,
      line,
      locate: (path) => locate(node, path, lineOf) || line,
    });
  });
  return { entries, issues };
}

/** ID of the entry around `offset` in a document that failed to parse, when it can still be told. */
function entryAt(root: unknown, offset: number): string | undefined {
  if (!isMap(root)) return undefined;
  const namespace = (root.get('namespace', true) as Node | undefined);
  const entries = root.get('entries', true);
  if (!isScalar(namespace) || typeof namespace.value !== 'string' || !isSeq(entries)) return undefined;
  let found: string | undefined;
  for (const item of entries.items) {
    const range = (item as Node | null)?.range;
    if (!isMap(item) || !range || range[0] > offset) continue;
    const name = item.get('name');
    // The error may lie past the end of a broken entry's parsed range; the last entry starting before it is the best guess.
    if (typeof name === 'string') found = `${namespace.value}:${name}`;
  }
  return found;
}

/** Walks `path` down maps and lists, returning the line of the deepest node found. */
function locate(root: Node, path: readonly PropertyKey[], lineOf: (n: Node | null | undefined) => number): number {
  let node: unknown = root;
  let line = lineOf(root);
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(key));
      if (!pair) break;
      line = lineOf(pair.key as Node) || line;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number' && node.items[key] !== undefined) {
      node = node.items[key];
      line = lineOf(node as Node) || line;
    } else break;
  }
  return line;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** Names the key yaml found twice; its error gives only the position. */
function duplicateKey(text: string, offset: number): string {
  const key = /^["']?([^\s:,{}[\]"']+)/.exec(text.slice(offset, offset + 200))?.[1];
  return key ? `duplicate key ${key} (each key may appear once in a mapping)` : 'duplicate key (each key may appear once in a mapping)';
}

/** The first alias (`*name`) in the document, where an alias bomb starts. */
function firstAlias(doc: Document): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias(_, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

// yaml's messages repeat the position and add a code frame; the location is already in the issue.
function yamlMessage(message: string): string {
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  // A stack overflow inside the parser means the nesting is deeper than any configuration needs.
  return /Maximum call stack size exceeded/.test(first) ? 'nested too deeply' : first;
}

/** A short description of a YAML value for messages: `"abc" (string)`, `a list`, ... @internal */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${JSON.stringify(value)} (${typeof value})`;
}

/** Whether `v` is a YAML mapping turned into a plain object. @internal */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);
}
