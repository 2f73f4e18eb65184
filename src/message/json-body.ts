/**
 * The body rule: a message body is plain JSON data (null, booleans, finite
 * numbers, strings, arrays and plain objects of those), so every driver
 * delivers what was published. A broker would turn a `Date` into a string,
 * a `Map` into `{}` and `NaN` into `null` while the in-memory driver hands
 * the object over as it is; with one rule checked before any driver sees
 * the message, a handler tested on memory sees what it will see in
 * production.
 *
 * The check is a walk, not a stringify: `JSON.stringify` silently drops or
 * converts most of what the rule refuses, and the in-memory driver would
 * pay for text it never uses. The walk returns an upper bound of the JSON
 * size on the way (see `json-size.ts`). It records no path: only when it
 * fails does {@link describeNonJson} walk again to name where.
 */
import { numberBound, stringBound } from './json-size.ts';

/** Deepest nesting accepted; deeper structures are refused rather than risking the stack. */
export const MAX_JSON_DEPTH = 1000;

/** What {@link jsonBound} returns for a value that is not JSON data. */
export const NOT_JSON = -1;

/**
 * Upper bound of `value`'s JSON size in UTF-8 bytes, or {@link NOT_JSON}
 * when it breaks the body rule somewhere.
 */
export function jsonBound(value: unknown): number {
  return typeof value === 'object' && value !== null ? objectBound(value, []) : leafBound(value);
}

function leafBound(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return stringBound(value);
    case 'number':
      // `v - v` is 0 for finite numbers, NaN for NaN and ±Infinity.
      return value - value === 0 ? numberBound(value) : NOT_JSON;
    case 'boolean':
      return 5;
    case 'object':
      return value === null ? 4 : NOT_JSON;
    default:
      return NOT_JSON;
  }
}

/** `ancestors`: the objects on the way down, for cycles (shared, acyclic references are fine: JSON repeats them). */
function objectBound(o: object, ancestors: object[]): number {
  const depth = ancestors.length;
  if (depth >= MAX_JSON_DEPTH) return NOT_JSON;
  for (let i = 0; i < depth; i++) if (ancestors[i] === o) return NOT_JSON;
  const proto = Object.getPrototypeOf(o);
  ancestors.push(o);
  let size = NOT_JSON;
  if (proto === Array.prototype) size = arrayBound(o as readonly unknown[], ancestors);
  else if (proto === Object.prototype || proto === null) size = recordBound(o as Readonly<Record<string, unknown>>, ancestors);
  ancestors.pop();
  return size;
}

function arrayBound(a: readonly unknown[], ancestors: object[]): number {
  const n = a.length;
  if (n === 0) return 2;
  // Brackets and n - 1 commas.
  let size = n + 1;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    // A hole reads as undefined and is refused like one.
    const s = typeof v === 'object' ? (v === null ? 4 : objectBound(v, ancestors)) : leafBound(v);
    if (s < 0) return NOT_JSON;
    size += s;
  }
  return size;
}

function recordBound(o: Readonly<Record<string, unknown>>, ancestors: object[]): number {
  let size = 1;
  // for-in visits what JSON.stringify writes: own enumerable string keys
  // (a plain object inherits nothing enumerable).
  for (const key in o) {
    const v = o[key];
    const s = typeof v === 'object' ? (v === null ? 4 : objectBound(v, ancestors)) : leafBound(v);
    if (s < 0) return NOT_JSON;
    // Key, colon, value, and a comma or the closing brace.
    size += stringBound(key) + 2 + s;
  }
  return size === 1 ? 2 : size;
}

/**
 * Where and why `value` breaks the body rule, e.g.
 * `body.items[3].when: Date is not JSON data`; `undefined` if it does not.
 * Slow (builds paths): only called once {@link jsonBound} has refused.
 */
export function describeNonJson(value: unknown, root = 'body'): string | undefined {
  return describe(value, root, [], []);
}

function describe(value: unknown, path: string, ancestors: object[], paths: string[]): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return value - value === 0 ? undefined : `${path}: ${value} is not JSON data`;
    case 'bigint':
      return `${path}: BigInt is not JSON data`;
    case 'undefined':
    case 'function':
    case 'symbol':
      return `${path}: ${typeof value} is not JSON data`;
  }
  if (value === null) return undefined;
  const o = value as object;
  const seen = ancestors.indexOf(o);
  if (seen >= 0) return `${path}: circular reference to ${paths[seen]}`;
  if (ancestors.length >= MAX_JSON_DEPTH) return `${path}: nested deeper than ${MAX_JSON_DEPTH} levels`;
  const proto = Object.getPrototypeOf(o);
  const isArray = proto === Array.prototype;
  if (!isArray && proto !== Object.prototype && proto !== null) return `${path}: ${typeName(proto)} is not JSON data`;
  ancestors.push(o);
  paths.push(path);
  let found: string | undefined;
  if (isArray) {
    const a = o as readonly unknown[];
    for (let i = 0; i < a.length && found === undefined; i++) found = describe(a[i], `${path}[${i}]`, ancestors, paths);
  } else {
    const r = o as Readonly<Record<string, unknown>>;
    for (const key in r) {
      found = describe(r[key], path + keyPath(key), ancestors, paths);
      if (found !== undefined) break;
    }
  }
  ancestors.pop();
  paths.pop();
  return found;
}

/** `.name` for identifier-like keys, `["odd key"]` otherwise. */
function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** `Date`, `Map`, a class name; something readable for a prototype without a named constructor. */
function typeName(proto: object): string {
  const ctor = (proto as { constructor?: unknown }).constructor;
  const name = typeof ctor === 'function' ? ctor.name : '';
  return name ? name : 'an object with a custom prototype';
}
