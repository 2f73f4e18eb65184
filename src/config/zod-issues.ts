import type { z } from 'zod';
import type { ConfigIssue } from '../errors/config-error.ts';
import { describe, type RawEntry } from './yaml-source.ts';

/**
 * Turns zod's issues for one entry into config issues that name the entry,
 * the field and its line, with messages written for people editing YAML
 * ("missing required field", "unknown field concurency (did you mean
 * concurrency?)") rather than zod's generic ones. @internal
 *
 * @param input the value that was parsed, to tell "missing" from "wrong type"
 * @param prefix path of `input` inside the entry, e.g. `['driver_options', 'memory']`
 */
export function zodIssuesToConfig(
  error: z.ZodError,
  raw: RawEntry,
  input: unknown,
  schema: z.ZodType,
  prefix: readonly PropertyKey[] = [],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const push = (path: readonly PropertyKey[], message: string): void => {
    const full = [...prefix, ...path];
    out.push({ file: raw.file, line: raw.locate(full), entryId: raw.id, field: formatPath(full) || undefined, message });
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = shapeKeysAt(schema, issue.path);
      for (const key of issue.keys) push([...issue.path, key], unknownFieldMessage(key, allowed));
      continue;
    }
    push(issue.path, issueMessage(issue, valueAt(input, issue.path)));
  }
  return out;
}

/** `lifecycle.requires[0]` from `['lifecycle', 'requires', 0]`. @internal */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Message for a field no schema knows, with the closest allowed name when one is near. @internal */
export function unknownFieldMessage(key: string, allowed: readonly string[] | undefined): string {
  const near = allowed && closest(key, allowed);
  const hint = near ? ` (did you mean ${near}?)` : allowed && allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : '';
  return `unknown field ${key}${hint}`;
}

function issueMessage(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined
        ? `missing required field (expected ${issue.expected})`
        : `expected ${issue.expected}, got ${describe(value)}`;
    case 'invalid_union': {
      // A union of plain types (string | number) fails with one invalid_type per branch.
      const expected = issue.errors.flatMap((branch) =>
        branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0 ? [branch[0]!.expected] : [],
      );
      if (expected.length === issue.errors.length && expected.length > 0) {
        return value === undefined
          ? `missing required field (expected ${expected.join(' or ')})`
          : `expected ${expected.join(' or ')}, got ${describe(value)}`;
      }
      return issue.message;
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
        return `must be ${op} ${String(bound)}, got ${describe(value)}`;
      }
      const unit = issue.origin === 'string' ? 'characters' : 'items';
      return `must have ${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(bound)} ${unit}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`;
    case 'invalid_format':
      if (issue.format === 'starts_with' && 'prefix' in issue) return `must start with "${String(issue.prefix)}", got ${describe(value)}`;
      return `${issue.message}, got ${describe(value)}`;
    default:
      return issue.message;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * Field names the object schema at `path` accepts, found by unwrapping
 * optional/default/pipe wrappers; undefined when the shape cannot be seen.
 */
function shapeKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let def = unwrap(schema._zod.def);
  for (const key of path) {
    if (!def) return undefined;
    if (def.type === 'object') def = unwrap((def as z.core.$ZodObjectDef).shape[String(key)]?._zod.def);
    else if (def.type === 'array') def = unwrap((def as z.core.$ZodArrayDef).element._zod.def);
    else if (def.type === 'record') def = unwrap((def as z.core.$ZodRecordDef).valueType._zod.def);
    else return undefined;
  }
  return def?.type === 'object' ? Object.keys((def as z.core.$ZodObjectDef).shape) : undefined;
}

function unwrap(def: z.core.$ZodTypeDef | undefined): z.core.$ZodTypeDef | undefined {
  let d = def;
  for (let i = 0; d && i < 10; i++) {
    if ('innerType' in d) d = (d.innerType as z.ZodType)._zod.def;
    else if (d.type === 'pipe') d = (d as z.core.$ZodPipeDef).in._zod.def;
    else break;
  }
  return d;
}

/** The allowed name within edit distance 2 of `key` (typos), if any. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) (best = candidate), (bestDistance = d);
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
