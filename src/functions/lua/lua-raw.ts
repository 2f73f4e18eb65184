import type { LuaWasm } from 'wasmoon';
import {
  intKey,
  isDigit,
  jsonExact,
  MAX_DEPTH,
  MAX_OBJECTS,
  rawFunctions,
  T_BOOLEAN,
  T_NIL,
  T_NONE,
  T_NUMBER,
  T_STRING,
  T_TABLE,
  toInteger,
  type HeapViews,
  type RawFunctions,
} from './lua-raw-support.ts';

/** Returned by {@link LuaRaw.read} for a value the fast path does not convert. @internal */
export const SLOW = Symbol('lua-raw-slow');

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Plain data across the JS/Lua boundary through the raw exports of the
 * Lua WebAssembly module, for the per-message hot path.
 *
 * Why: wasmoon's `pushValue`/`getValue` go through `cwrap` (string
 * marshalling on the wasm stack per call), look up type extensions and
 * metatable names for every value, and `thread.resume` mallocs per call.
 * For a small body that was most of a Lua handler's cost. Here a string
 * is written once into a reusable buffer and each value costs one or two
 * direct export calls.
 *
 * The conversions match wasmoon's (with the runtime's `toLuaValue`):
 * `null`/`undefined` become nil (absent fields, holes in sequences),
 * integral numbers Lua integers, arrays sequences, plain objects tables
 * keyed by strings; Lua sequences `1..n` become arrays, other tables
 * objects keyed by the key's text. Anything else (class instances, a
 * shared or cyclic reference, a function, a table with a metatable, a key
 * that is not a string or integer, very deep or large data) is left to wasmoon: the
 * push returns `false`, the read returns {@link SLOW}, and the caller uses
 * wasmoon's conversion for the whole value. One difference: strings keep
 * embedded NUL bytes both ways (wasmoon cut them at the first NUL).
 * @internal
 */
export class LuaRaw {
  readonly #m: RawFunctions;
  /** Read afresh at each use: the module renews its views when memory grows. */
  readonly #heap: HeapViews;
  /** Scratch bytes for strings going into Lua. */
  #buf: number;
  #cap = 256;
  /** Four bytes for a `size_t`/`int` out-parameter (string length, result count). */
  readonly #out: number;
  /** Objects of the value being pushed, to spot one reached twice (a short list is cheaper than a Set). */
  readonly #pushed: object[] = [];

  constructor(lua: LuaWasm) {
    this.#heap = lua.module as unknown as HeapViews;
    this.#m = rawFunctions(lua.module as unknown as RawFunctions);
    this.#buf = this.#m._malloc(this.#cap);
    this.#out = this.#m._malloc(8);
  }

  /** Frees the scratch memory. Call once, when the state closes. */
  free(): void {
    this.#m._free(this.#buf);
    this.#m._free(this.#out);
  }

  /** `lua_resume` without wasmoon's per-call allocation: the status, with {@link resultCount} set. */
  resume(L: number, nargs: number): number {
    this.#heap.HEAP32[this.#out >> 2] = 0;
    const status: number = this.#m._lua_resume(L, 0, nargs, this.#out);
    this.resultCount = this.#heap.HEAP32[this.#out >> 2]!;
    return status;
  }

  /** Values the last {@link resume} left on the stack. */
  resultCount = 0;

  /** Pushes a string, NUL bytes included. */
  pushString(L: number, s: string): void {
    const length = this.#write(s); // first: it may move the buffer
    this.#m._lua_pushlstring(L, this.#buf, length);
  }

  /** Pushes plain data; `false` (and nothing pushed) when wasmoon must convert it. */
  push(L: number, value: unknown): boolean {
    const top: number = this.#m._lua_gettop(L);
    this.#pushed.length = 0;
    if (this.#push(L, value, 0)) return true;
    this.#m._lua_settop(L, top);
    return false;
  }

  /** The value at `index` as JS, or {@link SLOW}. Leaves the stack as it was. */
  read(L: number, index: number): unknown {
    const m = this.#m;
    const abs = index < 0 ? m._lua_gettop(L) + index + 1 : index;
    const type: number = m._lua_type(L, abs);
    let value: unknown;
    if (type !== T_TABLE) value = type === T_NONE ? undefined : this.#scalar(L, abs, type);
    else value = this.#table(L, abs, 0, undefined);
    if (value === SLOW) jsonExact.value = false;
    return value;
  }

  /** The string at `index` (which must hold a string: numbers would be converted in place). */
  readString(L: number, index: number): string {
    const m = this.#m;
    const ptr: number = m._lua_tolstring(L, index, this.#out);
    const len = this.#heap.HEAPU32[this.#out >> 2]!;
    const heap = this.#heap.HEAPU8;
    if (len <= 64) {
      let s = '';
      for (let i = 0; i < len; i++) {
        const c = heap[ptr + i]!;
        if (c >= 0x80) return decoder.decode(heap.subarray(ptr, ptr + len));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return decoder.decode(heap.subarray(ptr, ptr + len));
  }

  /** Pushes `registry[ref]` (`ref` as a BigInt, as `lua_rawgeti` takes a `lua_Integer`). */
  pushRef(L: number, registryIndex: number, ref: bigint): void {
    this.#m._lua_rawgeti(L, registryIndex, ref);
  }

  /** `lua_gettop`. */
  top(L: number): number {
    return this.#m._lua_gettop(L);
  }

  /** `lua_settop`. */
  setTop(L: number, index: number): void {
    this.#m._lua_settop(L, index);
  }

  /** The type tag at `index` (`lua_type`). */
  type(L: number, index: number): number {
    return this.#m._lua_type(L, index);
  }

  /** Writes `s` as UTF-8 into the scratch buffer; returns the byte count. */
  #write(s: string): number {
    const n = s.length;
    if (n * 3 > this.#cap) {
      this.#m._free(this.#buf);
      this.#cap = Math.max(n * 3, this.#cap * 2);
      this.#buf = this.#m._malloc(this.#cap);
    }
    const heap = this.#heap.HEAPU8;
    const buf = this.#buf;
    // Most keys and values are short ASCII: a byte loop beats encodeInto's setup.
    if (n <= 64) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        heap[buf + i] = c;
      }
      if (i === n) return n;
    }
    return encoder.encodeInto(s, heap.subarray(buf, buf + this.#cap)).written;
  }

  #push(L: number, value: unknown, depth: number): boolean {
    const m = this.#m;
    switch (typeof value) {
      case 'string':
        this.pushString(L, value);
        return true;
      case 'number':
        // As wasmoon: integral numbers are Lua integers, the rest floats.
        if (Number.isInteger(value)) m._lua_pushinteger(L, toInteger(value));
        else m._lua_pushnumber(L, value);
        return true;
      case 'boolean':
        m._lua_pushboolean(L, value ? 1 : 0);
        return true;
      case 'undefined':
        m._lua_pushnil(L);
        return true;
      case 'object':
        if (value === null) {
          m._lua_pushnil(L);
          return true;
        }
        return this.#pushTable(L, value, depth);
      default:
        return false;
    }
  }

  #pushTable(L: number, value: object, depth: number): boolean {
    const m = this.#m;
    // wasmoon maps a shared object to one Lua table; leave that (and cycles) to it.
    const pushed = this.#pushed;
    if (depth >= MAX_DEPTH || pushed.length >= MAX_OBJECTS || pushed.includes(value) || !m._lua_checkstack(L, 3)) return false;
    pushed.push(value);
    if (Array.isArray(value)) {
      m._lua_createtable(L, value.length, 0);
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === null || item === undefined) continue; // a hole, as a nil assignment makes
        if (!this.#push(L, item, depth + 1)) return false;
        m._lua_rawseti(L, -2, toInteger(i + 1));
      }
      return true;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    let count = 0;
    for (const _ in value) count++;
    m._lua_createtable(L, 0, count);
    for (const key in value) {
      const item: unknown = (value as Record<string, unknown>)[key];
      if (item === null || item === undefined) continue; // an absent field
      this.pushString(L, key);
      if (!this.#push(L, item, depth + 1)) return false;
      m._lua_rawset(L, -3);
    }
    return true;
  }

  #scalar(L: number, index: number, type: number): unknown {
    switch (type) {
      case T_NIL:
        return null; // as wasmoon; callers turn a top-level nil into undefined
      case T_BOOLEAN:
        return this.#m._lua_toboolean(L, index) !== 0;
      case T_NUMBER: {
        const n: number = this.#m._lua_tonumberx(L, index, 0);
        if (n - n !== 0) jsonExact.value = false; // NaN or an infinity
        return n;
      }
      case T_STRING:
        return this.readString(L, index);
      default:
        return SLOW;
    }
  }

  /**
   * A table as wasmoon reads it: an array when its keys, in `next` order,
   * are exactly 1..n (as text: the string "1" counts), else an object.
   * `done`, created at the first nested table, maps tables already read to
   * their JS value, so a table reached twice is one object, as in wasmoon;
   * a table reached inside itself (a cycle) is left to wasmoon.
   */
  #table(L: number, index: number, depth: number, done: Map<number, unknown> | undefined): unknown {
    const m = this.#m;
    let ptr = 0;
    if (done !== undefined) {
      ptr = m._lua_topointer(L, index);
      const seen = done.get(ptr);
      if (seen !== undefined) {
        jsonExact.value = false;
        return seen;
      }
      done.set(ptr, SLOW); // open: reaching it again before it is done is a cycle
    }
    if (depth >= MAX_DEPTH || !m._lua_checkstack(L, 4)) return SLOW;
    if (m._lua_getmetatable(L, index)) {
      m._lua_settop(L, -2);
      return SLOW;
    }
    const base: number = m._lua_gettop(L);
    // Values go into `array` while the keys run 1, 2, ...; the first other key turns it into `object`.
    let sequential = true;
    let array: unknown[] | undefined;
    let object: Record<string, unknown> | undefined;
    m._lua_pushnil(L);
    while (m._lua_next(L, index) !== 0) {
      const keyType: number = m._lua_type(L, base + 1);
      let key: string | number;
      if (keyType === T_STRING) key = this.readString(L, base + 1);
      else if (keyType === T_NUMBER && m._lua_isinteger(L, base + 1)) key = intKey(m._lua_tointegerx(L, base + 1, 0) as bigint);
      else return this.#bail(L, base);
      const valueType: number = m._lua_type(L, base + 2);
      let value: unknown;
      if (valueType === T_TABLE) {
        done ??= new Map();
        value = this.#table(L, base + 2, depth + 1, done);
      } else value = this.#scalar(L, base + 2, valueType);
      if (value === SLOW) return this.#bail(L, base);
      m._lua_settop(L, base + 1); // pop the value, keep the key for lua_next
      if (sequential) {
        const next = (array?.length ?? 0) + 1;
        if (key === next || (typeof key === 'string' && isDigit(key.charCodeAt(0)) && key === String(next))) {
          (array ??= []).push(value);
          continue;
        }
        sequential = false;
        object = {};
        if (array !== undefined) for (let i = 0; i < array.length; i++) object[i + 1] = array[i];
        array = undefined;
      }
      object![key] = value;
    }
    const result = array ?? object ?? {};
    if (done !== undefined && ptr !== 0) done.set(ptr, result);
    return result;
  }

  #bail(L: number, base: number): typeof SLOW {
    this.#m._lua_settop(L, base);
    return SLOW;
  }
}
