import { afterEach, describe, expect, test } from 'vitest';
import { LuaHandlerError } from '../../src/functions/lua/lua-errors.ts';
import type { LoadedLuaFunction } from '../../src/functions/lua/lua-function.ts';
import { fakeContext, loadLua, outcome } from './lua-test-kit.ts';

let fn: LoadedLuaFunction | undefined;
afterEach(async () => {
  await fn?.close?.();
  fn = undefined;
});

const load = async (code: string, options: Record<string, unknown> = {}) => (fn = await loadLua({ 'handler.lua': code }, options));

describe('function.lua outcomes', () => {
  test('a normal return acks with the first value', async () => {
    await load('return function(body) return { seen = body.id } end');
    expect(await outcome(fn!, { id: 7 })).toMatchObject({ acked: true, value: { seen: 7 } });
  });

  test('returning nothing acks', async () => {
    await load('return function() end');
    expect(await outcome(fn!, 'x')).toMatchObject({ acked: true, value: undefined });
  });

  test('return nil, err nacks with the error value as message', async () => {
    await load('return function() return nil, "task failed" end');
    const r = await outcome(fn!, 1);
    expect(r.acked).toBe(false);
    expect(r.error).toBeInstanceOf(LuaHandlerError);
    expect(r.error!.message).toBe('task failed');
    expect((r.error as LuaHandlerError).raised).toBe(false);
    // A returned error is the script's decision, not a crash: nothing logged at error level.
    expect(r.ctx.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  test('a table error value keeps its message field and its value', async () => {
    await load('return function() return nil, { message = "bad input", code = 4 } end');
    const r = await outcome(fn!, 1);
    expect(r.error!.message).toBe('bad input');
    expect((r.error as LuaHandlerError).value).toEqual({ message: 'bad input', code: 4 });
  });

  test('error() nacks and is logged with the message id', async () => {
    await load('return function()\n  error("boom")\nend');
    const r = await outcome(fn!, 1, fakeContext({ id: 'm-42' }));
    expect(r.acked).toBe(false);
    expect(r.error!.message).toBe('handler.lua:2: boom');
    expect((r.error as LuaHandlerError).raised).toBe(true);
    expect(r.ctx.logs).toContainEqual({
      level: 'error',
      message: 'lua handler raised an error',
      fields: { function: 'app.test:handler', message_id: 'm-42', error: 'handler.lua:2: boom' },
    });
  });

  test('multiple return values survive: only a non-nil second value nacks', async () => {
    await load(`return function(b)
      if b == 1 then return "a", nil, "c" end
      if b == 2 then return "a", "second" end
      if b == 3 then return nil, false end
      return 1, 2, 3, 4
    end`);
    expect(await outcome(fn!, 1)).toMatchObject({ acked: true, value: 'a' });
    expect((await outcome(fn!, 2)).error!.message).toBe('second');
    expect((await outcome(fn!, 3)).acked).toBe(false);
    expect((await outcome(fn!, 4)).error!.message).toBe('2');
  });

  test('the body arrives decoded: tables, arrays, strings, numbers, booleans', async () => {
    await load(`return function(b)
      if type(b) == "table" then return { kind = "table", n = #b, first = b[1] and b[1].k, nested = b.a and b.a.b } end
      return { kind = type(b), value = b }
    end`);
    expect((await outcome(fn!, { a: { b: 'deep' } })).value).toEqual({ kind: 'table', n: 0, nested: 'deep' });
    expect((await outcome(fn!, [{ k: 1 }, { k: 2 }])).value).toEqual({ kind: 'table', n: 2, first: 1 });
    expect((await outcome(fn!, 'text')).value).toEqual({ kind: 'string', value: 'text' });
    expect((await outcome(fn!, 2.5)).value).toEqual({ kind: 'number', value: 2.5 });
    expect((await outcome(fn!, false)).value).toEqual({ kind: 'boolean', value: false });
  });

  test('JSON nulls in the body become absent fields', async () => {
    await load('return function(b) return { has = b.gone ~= nil, keep = b.keep, len = #b.list } end');
    expect((await outcome(fn!, { gone: null, keep: 1, list: [1, null, 3] })).value).toEqual({ has: false, keep: 1, len: 3 });
  });

  test('method picks a field of the returned table', async () => {
    await load('local M = {}\nfunction M.handle(b) return b * 2 end\nreturn M', { method: 'handle' });
    expect((await outcome(fn!, 21)).value).toBe(42);
  });
});
