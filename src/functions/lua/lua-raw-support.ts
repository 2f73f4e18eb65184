import { luaWasmExports } from './lua-engine.ts';

// Helpers of lua-raw.ts, kept apart to keep that file short. @internal

// Lua 5.4 type tags (lua.h).
export const T_NONE = -1;
export const T_NIL = 0;
export const T_BOOLEAN = 1;
export const T_NUMBER = 3;
export const T_STRING = 4;
export const T_TABLE = 5;
/**
 * Whether every value read since the flag was last reset is plain JSON
 * data: no value left to wasmoon (functions, metatables, cycles), no table
 * reached twice (one JS object, which JSON would write twice), no NaN or
 * infinity. The isolate sends its operations as JSON text while this
 * holds, and by structured clone otherwise (see lua-isolate-main.ts).
 */
export const jsonExact = { value: true };

/** Deeper data goes through wasmoon, which handles it (or fails) as before. */
export const MAX_DEPTH = 64;
/** Bodies with more objects than this go through wasmoon (the repeat check is linear). */
export const MAX_OBJECTS = 256;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** `lua_Integer` keys as JS property names: safe ones as numbers (JS spells them alike), others as exact text. */
export const intKey = (n: bigint): string | number => (n >= -MAX_SAFE && n <= MAX_SAFE ? Number(n) : String(n));
/** `lua_Integer`s for small numbers, made once: a BigInt per array index and count adds up. */
const SMALL_INTS = Array.from({ length: 1024 }, (_, i) => BigInt(i));
/** A JS integer as a `lua_Integer` argument. */
export const toInteger = (n: number): bigint => (n >= 0 && n < 1024 ? SMALL_INTS[n]! : BigInt(n));
/** An ASCII digit. */
export const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** The emscripten module's memory views; wasmoon's typings do not list them. */
export interface HeapViews {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPU32: Uint32Array;
}

/** Lua API and allocator functions, named as the module names them (`_lua_gettop`). */
export interface RawFunctions {
  _malloc(size: number): number;
  _free(ptr: number): void;
  [name: `_lua_${string}`]: (...args: any[]) => any;
}

/**
 * The functions straight from the instance when {@link luaWasmExports}
 * has them (see `lua-engine.ts` for why), else the module's own wrappers.
 */
export function rawFunctions(module: RawFunctions): RawFunctions {
  const exports = luaWasmExports();
  if (!exports) return module;
  const fns: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) if (typeof value === 'function') fns[`_${name}`] = value;
  return fns as unknown as RawFunctions;
}
