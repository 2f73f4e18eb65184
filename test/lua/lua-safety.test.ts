import { afterEach, describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/errors/config-error.ts';
import type { LoadedLuaFunction } from '../../src/functions/lua/lua-function.ts';
import { LuaStoppedError } from '../../src/functions/lua/lua-errors.ts';
import { fakeContext, loadLua, outcome } from './lua-test-kit.ts';

let fn: LoadedLuaFunction | undefined;
afterEach(async () => {
  await fn?.close?.();
  fn = undefined;
});

describe('sandbox', () => {
  test('no files, environment, processes or bytecode', async () => {
    fn = await loadLua({
      'handler.lua': `return function()
        return {
          io = type(io), getenv = type(os.getenv), execute = type(os.execute), dofile = type(dofile),
          loadfile = type(loadfile), package = type(package), debug = type(debug), dump = type(string.dump),
          time = type(os.time()), clock = type(os.clock()), date = type(os.date("%Y")),
          math = math.floor(2.5), concat = table.concat({ "a", "b" }), upper = string.upper("x"),
          binary = select(2, load("\\27Lua"))
        }
      end`,
    });
    expect((await outcome(fn, 1)).value).toEqual({
      io: 'nil', getenv: 'nil', execute: 'nil', dofile: 'nil', loadfile: 'nil', package: 'nil', debug: 'nil', dump: 'nil',
      time: 'number', clock: 'number', date: 'string', math: 2, concat: 'ab', upper: 'X',
      binary: expect.stringMatching(/binary chunk/),
    });
  });

  test('require of an unlisted module fails naming the module and the function', async () => {
    const error = await loadLua({ 'handler.lua': 'local queue = require("queue")\nreturn function() end' }, { modules: ['json'] }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues[0]).toMatchObject({ line: 1, entryId: 'app.test:handler', field: 'source' });
    expect(error.message).toContain('module "queue" is not listed under modules of function app.test:handler (listed: json)');
  });

  test('require of an unknown module inside a handler nacks with a clear error', async () => {
    fn = await loadLua({ 'handler.lua': 'return function()\n  local socket = require("socket")\n  return socket\nend' });
    expect((await outcome(fn, 1)).error?.message).toBe(
      'handler.lua:2: module "socket" not found: function app.test:handler may require only its listed modules (none)',
    );
  });
});

describe('limits', () => {
  test('an infinite loop is stopped when the signal aborts, even inside pcall', async () => {
    fn = await loadLua({ 'handler.lua': 'return function() while true do pcall(function() while true do end end) end end' });
    const ctx = fakeContext();
    setTimeout(() => ctx.abort(), 50);
    const started = Date.now();
    const r = await outcome(fn, 1, ctx);
    expect(r.error).toBeInstanceOf(LuaStoppedError);
    expect((r.error as LuaStoppedError).code).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(1000);
    // The stop took effect inside the isolate: it was not terminated.
    expect(fn.pool.replaced).toBe(0);
  });

  test('the function timeout stops a loop when nothing aborts', async () => {
    fn = await loadLua({ 'handler.lua': 'return function(b) if b == 1 then while true do end end return "fine" end' }, { timeout: '100ms' });
    const r = await outcome(fn, 1);
    expect((r.error as LuaStoppedError).code).toBe('HANDLER_TIMEOUT');
    expect((await outcome(fn, 2)).value).toBe('fine');
  });

  test('a long script yields to the event loop', async () => {
    fn = await loadLua({ 'handler.lua': 'return function() local t = os.clock() while os.clock() - t < 0.15 do end return true end' });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await outcome(fn, 1);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
  });

  test('a syntax error is a ConfigError naming the Lua file and line', async () => {
    const error = await loadLua({ 'handler.lua': 'local x = 1\n\nreturn function(\n  x +\nend' }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues[0].file).toMatch(/handler\.lua$/);
    expect(error.issues[0].line).toBe(4);
    expect(error.message).toMatch(/Lua syntax error: handler\.lua:4: .*near '\+'/);
  });

  test('a missing file is a ConfigError naming the field', async () => {
    const error = await loadLua({}, { source: 'file://nope.lua' }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues[0]).toMatchObject({ entryId: 'app.test:handler', field: 'source' });
    expect(error.message).toMatch(/nope\.lua: file not found/);
  });

  test('a script that returns no function is a ConfigError', async () => {
    const error = await loadLua({ 'handler.lua': 'return 42' }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/return the handler function.*returned number/);
  });
});
