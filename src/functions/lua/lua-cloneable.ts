/**
 * A copy of `value` that structured clone accepts: functions (a Lua
 * function returned or logged) and symbols become a short description,
 * everything else is kept, shared and cyclic references included. Used
 * only after a postMessage refused a batch, so plain data never pays it.
 * @internal
 */
export function cloneable(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof value === 'function') return `<function${value.name ? ` ${value.name}` : ''}>`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  const copied = seen.get(value);
  if (copied !== undefined) return copied;
  if (value instanceof Error) {
    const error = new Error(value.message);
    seen.set(value, error);
    return error;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(cloneable(item, seen));
    return out;
  }
  if (ArrayBuffer.isView(value) || value instanceof Date || value instanceof RegExp) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const key of Object.keys(value)) out[key] = cloneable((value as Record<string, unknown>)[key], seen);
  return out;
}
