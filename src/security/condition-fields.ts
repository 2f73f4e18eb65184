import type { CheckMeta, SecurityActor } from './security-actor.ts';

/** What a condition field is read from. */
export interface CheckInput {
  readonly actor: SecurityActor;
  readonly action: string;
  readonly resource: string;
  readonly meta: CheckMeta | undefined;
}

/** Reads one field of a check; `undefined` when it is absent (or `null`). */
export type FieldReader = (input: CheckInput) => unknown;

/** The field paths a condition may name, for messages. */
export const FIELD_PATHS_TEXT = 'actor.id, actor.meta.<key>, action, resource or meta.<key>';

/**
 * Why `path` is not a condition field, or undefined when it is one:
 * `actor.id`, `actor.meta.<key>[.<key>...]`, `action`, `resource`,
 * `meta.<key>[.<key>...]` (nested keys walk into nested mappings).
 *
 * @example
 * ```ts
 * fieldPathProblem('actor.meta.role') // undefined
 * fieldPathProblem('actor.name')      // 'unknown condition field "actor.name" (expected ...)'
 * ```
 */
export function fieldPathProblem(path: string): string | undefined {
  if (path === 'action' || path === 'resource' || path === 'actor.id') return undefined;
  const keys = metaKeys(path);
  if (keys !== undefined && keys.length > 0 && keys.every((k) => k !== '')) return undefined;
  return `unknown condition field ${JSON.stringify(path)} (expected ${FIELD_PATHS_TEXT})`;
}

/**
 * A reader for a field path that {@link fieldPathProblem} accepted.
 * Built once per condition at load, so a check walks no strings.
 */
export function fieldReader(path: string): FieldReader {
  if (path === 'action') return (input) => input.action;
  if (path === 'resource') return (input) => input.resource;
  if (path === 'actor.id') return (input) => input.actor.id;
  const keys = metaKeys(path)!;
  const fromActor = path.startsWith('actor.');
  return (input) => walk(fromActor ? input.actor.meta : input.meta, keys);
}

/** Keys below `actor.meta` or `meta`, or undefined for any other path. */
function metaKeys(path: string): string[] | undefined {
  if (path.startsWith('actor.meta.')) return path.slice('actor.meta.'.length).split('.');
  if (path.startsWith('meta.')) return path.slice('meta.'.length).split('.');
  return undefined;
}

function walk(root: unknown, keys: readonly string[]): unknown {
  let value = root;
  for (const key of keys) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    // Own keys only: `meta.constructor` must not reach Object.prototype.
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value === null ? undefined : value;
}
