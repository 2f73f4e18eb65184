import { afterEach, describe, expect, test } from 'vitest';
import { createLuaEngine, luaWasmExports } from '../../src/functions/lua/lua-engine.ts';
import type { LoadedLuaFunction } from '../../src/functions/lua/lua-function.ts';
import { fakeContext, loadLua, outcome, recordingLogger } from './lua-test-kit.ts';

// The per-message path converts plain data itself (lua-raw.ts) and leaves
// anything else to wasmoon; these check both sides give what wasmoon gave.

let fn: LoadedLuaFunction | undefined;
afterEach(async () => {
  await fn?.close?.();
  fn = undefined;
});

const load = async (code: string, options: Record<string, unknown> = {}) => (fn = await loadLua({ 'handler.lua': code }, options));
const echo = 'return function(b) return b end';

describe('function.lua fast path', () => {
  test('uses the WebAssembly instance exports directly', async () => {
    (await createLuaEngine()).global.close();
    expect(typeof luaWasmExports()?.lua_gettop).toBe('function');
  });

  test('every call returns a promise: the script runs in the isolate, not in the caller', async () => {
    await load(echo);
    const pending = fn!.handler('x', fakeContext());
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toBe('x');
  });

  test('a quick call does not make the consumer build ctx.signal', async () => {
    await load(echo);
    let reads = 0;
    const ctx = fakeContext();
    const signal = ctx.signal;
    Object.defineProperty(ctx, 'signal', { get: () => (reads++, signal) });
    expect((await outcome(fn!, 1, ctx)).acked).toBe(true);
    expect(reads).toBe(0);
  });

  test('bodies and results round-trip: nesting, sequences, integers and floats, unicode, NUL bytes', async () => {
    await load(echo);
    const body = { s: 'héllo ✓ 🎉', nul: 'a\u0000b', i: 42, neg: -7, f: 1.5, big: 2 ** 53, t: true, no: false, list: [1, 'two', { three: 3 }], nested: { deep: { er: [[1], [2]] } } };
    expect((await outcome(fn!, body)).value).toEqual(body);
    expect((await outcome(fn!, 'x'.repeat(10_000))).value).toBe('x'.repeat(10_000));
  });

  test('integer keys and types are what wasmoon made of them', async () => {
    await load(`return function(b)
      return { math.type(b.i), math.type(b.f), math.type(b.list[1]), #b.holes, b.obj["1"] ~= nil, b.obj[1] == nil }
    end`);
    const r = await outcome(fn!, { i: 3, f: 3.5, list: [1], holes: [1, null, 3], obj: { '1': 'a' } });
    expect(r.value).toEqual(['integer', 'float', 'integer', 3, true, true]);
  });

  test('Lua tables come back as wasmoon read them', async () => {
    await load(`return function(b)
      local shared = { x = 1 }
      return {
        empty = {}, seq = { "a", "b" }, sparse = { [1] = "a", [3] = "c" }, ints = { [10] = "ten" },
        strseq = { ["1"] = "x" }, mixed = { "a", k = "v" }, a = shared, b = shared,
      }
    end`);
    const v = (await outcome(fn!, 1)).value as Record<string, unknown>;
    expect(v).toMatchObject({ empty: {}, seq: ['a', 'b'], sparse: { 1: 'a', 3: 'c' }, ints: { 10: 'ten' }, strseq: ['x'], mixed: { 1: 'a', k: 'v' } });
    expect(Array.isArray(v.sparse)).toBe(false);
    expect(v.a).toBe(v.b); // one Lua table, one JS object
  });

  test('what the fast path leaves alone still converts: cycles, functions, metatables, odd keys, class instances', async () => {
    await load(`return function(b)
      if b == "cycle" then local t = {} t.self = t return t end
      if b == "fn" then return { f = print } end
      if b == "meta" then return setmetatable({ x = 1 }, {}) end
      if b == "boolkey" then return { [true] = 1 } end
      return { when = type(b.when), shared = rawequal(b.a, b.b) }
    end`);
    const cycle = (await outcome(fn!, 'cycle')).value as { self: unknown };
    expect(cycle.self).toBe(cycle);
    // A Lua function cannot cross to the main thread: it arrives described.
    expect(((await outcome(fn!, 'fn')).value as { f: unknown }).f).toMatch(/^<function/);
    expect((await outcome(fn!, 'meta')).value).toEqual({ x: 1 });
    expect((await outcome(fn!, 'boolkey')).value).toEqual({ true: 1 });
    // A body crosses into the isolate as JSON data (what every driver delivers, see the body rule):
    // a Date arrives as its JSON text, an object reached twice as two equal tables.
    const shared = { n: 1 };
    expect((await outcome(fn!, { when: new Date(0), a: shared, b: shared })).value).toEqual({ when: 'string', shared: false });
  });

  test('logger fields: nested data, and a field the fast path leaves to wasmoon', async () => {
    await load(`local logger = require("logger")
      return function(b)
        logger.info("plain", { id = b, list = { 1, 2 }, sub = { k = "v" } })
        logger.warn("odd", { f = print })
        logger.debug("bare")
      end`, { modules: ['logger'] });
    const ctx = fakeContext();
    await outcome(fn!, 'm1', ctx);
    expect(ctx.logs[0]).toEqual({ level: 'info', message: 'plain', fields: { id: 'm1', list: [1, 2], sub: { k: 'v' } } });
    expect(ctx.logs[1]!.level).toBe('warn');
    expect((ctx.logs[1]!.fields as { f: unknown }).f).toMatch(/^<function/);
    expect(ctx.logs[2]).toEqual({ level: 'debug', message: 'bare' });
  });

  test('a logger that throws does not fail the call; the function logger says so', async () => {
    // The line is written on the main thread after the script moved on, so the script cannot hear of it.
    const functionLog = recordingLogger();
    fn = await loadLua({ 'handler.lua': 'local logger = require("logger")\nreturn function() logger.info("x") return "done" end' }, { modules: ['logger'] }, functionLog);
    const ctx = fakeContext();
    ctx.logger.info = () => {
      throw new Error('disk full');
    };
    expect((await outcome(fn!, 1, ctx)).value).toBe('done');
    expect(functionLog.lines).toContainEqual({ level: 'warn', message: 'the consumer logger threw on a line of a Lua handler', fields: { function: 'app.test:handler', error: 'disk full' } });
  });
});
