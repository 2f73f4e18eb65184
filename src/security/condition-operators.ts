/**
 * The comparison operators of policy conditions, with Wippy's coercions:
 * `eq` compares numbers as numbers (`"3"` equals `3`) and otherwise the
 * text of strings, numbers and booleans (`"true"` equals `true`); the
 * ordering operators need two numbers (or numeric strings); `in` takes a
 * list (or one value); `contains` finds text in text or an item in a list;
 * `matches` tests a regular expression against text.
 *
 * A comparison that does not apply to its operands (a number ordered
 * against a word, `matches` on a list) is `undefined`: the condition
 * fails, whatever the operator's negation would say. A field that is
 * absent fails every operator but `exists`/`nexists`.
 */

/** Every condition operator. */
export const OPERATORS = ['eq', 'ne', 'lt', 'gt', 'lte', 'gte', 'in', 'nin', 'exists', 'nexists', 'contains', 'ncontains', 'matches', 'nmatches'] as const;
/** One of {@link OPERATORS}. */
export type Operator = (typeof OPERATORS)[number];

/**
 * Compares a field's value with the condition's (literal or read from
 * another field). `pattern` is the compiled regular expression of a
 * `matches`/`nmatches` condition.
 */
export function compare(operator: Operator, field: unknown, other: unknown, pattern?: RegExp): boolean {
  if (field === undefined) {
    // exists/nexists carry a boolean: `exists: false` holds for an absent field.
    if (operator === 'exists') return other === false;
    if (operator === 'nexists') return other !== false;
    return false;
  }
  switch (operator) {
    case 'exists':
      return other !== false;
    case 'nexists':
      return other === false;
    case 'eq':
      return looselyEqual(field, other);
    case 'ne':
      return !looselyEqual(field, other);
    case 'lt':
    case 'gt':
    case 'lte':
    case 'gte':
      return ordered(operator, field, other);
    case 'in':
      return negatable(isIn(field, other), false);
    case 'nin':
      return negatable(isIn(field, other), true);
    case 'contains':
      return negatable(contains(field, other), false);
    case 'ncontains':
      return negatable(contains(field, other), true);
    case 'matches':
      return negatable(matches(field, pattern), false);
    case 'nmatches':
      return negatable(matches(field, pattern), true);
  }
}

/** A comparison's result, negated when asked; `undefined` (does not apply) fails either way. */
function negatable(result: boolean | undefined, negate: boolean): boolean {
  if (result === undefined) return false;
  return negate ? !result : result;
}

/**
 * Equality with Wippy's coercions: the same value; or two numbers (a
 * numeric string counts); or the same text of two strings, numbers or
 * booleans.
 */
export function looselyEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) return x === y;
  const s = asText(a);
  const t = asText(b);
  return s !== undefined && t !== undefined && s === t;
}

function ordered(operator: 'lt' | 'gt' | 'lte' | 'gte', a: unknown, b: unknown): boolean {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x === undefined || y === undefined) return false;
  if (operator === 'lt') return x < y;
  if (operator === 'gt') return x > y;
  if (operator === 'lte') return x <= y;
  return x >= y;
}

function isIn(field: unknown, list: unknown): boolean | undefined {
  if (Array.isArray(list)) return list.some((item) => looselyEqual(field, item));
  // One value instead of a list means equality (Wippy accepts a single string).
  if (typeof list === 'string') return looselyEqual(field, list);
  return undefined;
}

function contains(field: unknown, wanted: unknown): boolean | undefined {
  const haystack = asText(field);
  const needle = asText(wanted);
  if (haystack !== undefined && needle !== undefined) return haystack.includes(needle);
  if (Array.isArray(field)) return field.some((item) => looselyEqual(item, wanted));
  return undefined;
}

function matches(field: unknown, pattern: RegExp | undefined): boolean | undefined {
  const text = asText(field);
  if (text === undefined || pattern === undefined) return undefined;
  return pattern.test(text);
}

/** A finite number, or the number a numeric string spells. */
function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** The text of a string, number or boolean; undefined for lists, mappings and the rest. */
function asText(value: unknown): string | undefined {
  const t = typeof value;
  if (t === 'string') return value as string;
  if (t === 'number' || t === 'boolean') return String(value);
  return undefined;
}
