/**
 * Values crossing into Lua. wasmoon throws on a JS `null` (Lua has no null
 * value), while `undefined` becomes nil and an absent table field, which is
 * what a JSON `null` means to a Lua script. Bodies rarely hold nulls, so
 * the value is copied only when one is found.
 * @internal
 */
export function toLuaValue(value: unknown): unknown {
  if (value === null) return undefined;
  if (typeof value !== 'object' || !hasNull(value)) return value;
  return stripNulls(value);
}

function hasNull(value: object): boolean {
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v === null || (typeof v === 'object' && hasNull(v))) return true;
  }
  return false;
}

function stripNulls(value: unknown): unknown {
  if (value === null) return undefined;
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(stripNulls);
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = stripNulls((value as Record<string, unknown>)[key]);
  return out;
}

/**
 * Text for a Lua error value (what `error(x)` raised or `return nil, x`
 * returned): strings as they are, tables by their `message` field or as
 * JSON, JS errors by their message.
 * @internal
 */
export function luaErrorText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.message;
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'object') {
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string') return message;
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}
