import { afterEach, expect, test } from 'vitest';
import type { LoadedLuaFunction } from '../../src/functions/lua/lua-function.ts';
import { LuaMemoryError } from '../../src/functions/lua/lua-errors.ts';
import { fakeContext, loadLua, outcome } from './lua-test-kit.ts';

const loaded: LoadedLuaFunction[] = [];
afterEach(async () => {
  await Promise.all(loaded.splice(0).map((f) => f.close?.()));
});
const load = async (code: string, options: Record<string, unknown> = {}) => {
  const fn = await loadLua({ 'handler.lua': code }, options);
  loaded.push(fn);
  return fn;
};

test('string.rep("x", 1e9) fails at once with a clear memory error; the function recovers', async () => {
  const fn = await load('return function(b) if b == "bomb" then return #string.rep("x", 1e9) end return "ok" end', { memory_limit: '64MiB' });
  const r = await outcome(fn, 'bomb');
  expect(r.error).toBeInstanceOf(LuaMemoryError);
  expect((r.error as LuaMemoryError).code).toBe('MEMORY_LIMIT');
  expect(r.error!.message).toBe('lua function app.test:handler ran out of memory (memory_limit 64 MiB): not enough memory');
  expect((await outcome(fn, 'again')).value).toBe('ok');
}, 30_000);

test('the default memory_limit (256 MiB) stops the same bomb', async () => {
  const fn = await load('return function() return #string.rep("x", 1e9) end');
  const r = await outcome(fn, 1);
  expect(r.error!.message).toMatch(/ran out of memory \(memory_limit 256 MiB\)/);
}, 30_000);

test('a function keeping memory in a global hits its own limit and is replaced, while another function keeps working', async () => {
  const hog = await load(
    `hog = {}
    return function(b)
      if b == "count" then return #hog end
      for i = 1, 1000 do hog[#hog + 1] = string.rep(string.char(65 + i % 26), 1024 * 1024) end
      return #hog
    end`,
    { memory_limit: '64MiB' },
  );
  const other = await load('return function(b) return { echo = b } end', { memory_limit: '64MiB' });
  expect((await outcome(hog, 'count')).value).toBe(0);

  // The other function is called throughout, every few milliseconds.
  let running = true;
  const others: Promise<{ acked: boolean; value?: unknown }>[] = [];
  const caller = (async () => {
    for (let i = 0; running; i++) {
      others.push(outcome(other, i, fakeContext({ id: `o${i}` })));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const bomb = await outcome(hog, 'fill');
  const afterwards = await outcome(hog, 'count');
  running = false;
  await caller;
  const results = await Promise.all(others);

  expect(bomb.error).toBeInstanceOf(LuaMemoryError);
  expect(hog.pool.replaced).toBe(1);
  // A fresh isolate: the global is empty again.
  expect(afterwards.value).toBe(0);
  expect(results.length).toBeGreaterThan(0);
  expect(results.every((r, i) => r.acked && (r.value as { echo: number }).echo === i)).toBe(true);
  expect(other.pool.replaced).toBe(0);
}, 60_000);

test("the isolate's JavaScript heap is capped too: a huge json.decode fails with a memory error, the function recovers", async () => {
  // 16 MB of JSON text fits the 64 MiB Lua heap; its two million decoded objects do not fit the JavaScript heap.
  const fn = await load(
    `local json = require("json")
    return function(b)
      if b == "ok" then return "ok" end
      local v = json.decode("[" .. string.rep('{"a":1},', 2e6) .. "1]")
      return #v
    end`,
    { modules: ['json'], memory_limit: '64MiB' },
  );
  const r = await outcome(fn, 'bomb');
  expect(r.error).toBeInstanceOf(LuaMemoryError);
  expect(r.error!.message).toMatch(/memory_limit 64 MiB\): the isolate's JavaScript heap, .* reached its limit/);
  expect(fn.pool.replaced).toBe(1);
  expect((await outcome(fn, 'ok')).value).toBe('ok');
}, 60_000);

test('memory_limit must be a size within 32 MiB and 2 GiB', async () => {
  await expect(load('return function() end', { memory_limit: '1MiB' })).rejects.toThrow(/out of range: expected 32 MiB to 2048 MiB/);
  await expect(load('return function() end', { memory_limit: 'lots' })).rejects.toThrow(/invalid size .*lots/);
});
