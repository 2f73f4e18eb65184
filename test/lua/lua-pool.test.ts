import { afterEach, expect, test } from 'vitest';
import type { LoadedLuaFunction } from '../../src/functions/lua/lua-function.ts';
import { fakeContext, loadLua, outcome } from './lua-test-kit.ts';

let fn: LoadedLuaFunction | undefined;
afterEach(async () => {
  await fn?.close?.();
  fn = undefined;
});

test('concurrent calls never share a state; states are reused', async () => {
  // `inside` is a global: if two calls entered one state, the second would see 1 while the first awaits.
  fn = await loadLua(
    {
      'handler.lua': `local queue = require("queue")
      calls = 0
      return function(b)
        if inside then error("state entered twice") end
        inside = true
        calls = calls + 1
        local ok, err = queue.publish("app.test:out", b)
        inside = nil
        if not ok then return nil, err end
        return calls
      end`,
    },
    { modules: ['queue'] },
  );
  const gates: (() => void)[] = [];
  const slowPublish = () => new Promise<void>((resolve) => gates.push(resolve));
  const runs = [1, 2, 3, 4].map((i) => outcome(fn!, i, fakeContext({ id: `m${i}`, publish: slowPublish })));
  while (gates.length < 4) await new Promise((r) => setImmediate(r));
  gates.forEach((open) => open());
  const results = await Promise.all(runs);
  expect(results.every((r) => r.acked)).toBe(true);
  // Each state ran exactly one call: globals are per state.
  expect(results.map((r) => r.value)).toEqual([1, 1, 1, 1]);

  // Sequential calls reuse idle states: a fresh state would count 1 again.
  const later: unknown[] = [];
  for (let i = 0; i < 8; i++) later.push((await outcome(fn, i, fakeContext({ publish: async () => {} }))).value);
  expect(later.every((v) => typeof v === 'number' && v >= 2)).toBe(true);
  expect(fn.pool.size).toBe(1);
});

test('close ends the isolates; a call after close is refused', async () => {
  fn = await loadLua({ 'handler.lua': 'return function() return 1 end' });
  await outcome(fn, 1);
  await fn.close?.();
  expect(fn.pool.size).toBe(0);
  await expect(fn.handler(1, fakeContext())).rejects.toThrow(/closed/);
  fn = undefined;
});

test('calls made again as results come back leave at once, in one batch, not at the end of the turn', async () => {
  fn = await loadLua({ 'handler.lua': 'return function(b) return b * 2 end' });
  const pool = fn.pool;
  expect(await Promise.all([1, 2, 3, 4].map((i) => fn!.handler(i, fakeContext())))).toEqual([2, 4, 6, 8]);
  // As a consumer at concurrency 4 would: the four calls that ended are replaced in the turn their results came in.
  const before = pool.batchesSent;
  const again = [5, 6, 7].map((i) => fn!.handler(i, fakeContext()));
  expect(pool.batchesSent).toBe(before); // three of four: waiting for the fourth
  again.push(fn.handler(8, fakeContext()) as Promise<unknown>);
  expect(pool.batchesSent).toBe(before + 1); // the fourth sent all four, before this turn ended
  expect(await Promise.all(again)).toEqual([10, 12, 14, 16]);
  expect(pool.batchesSent).toBe(before + 1);

  // A call nothing ended for (an idle function) still waits for the turn's end, with the others made in it.
  const idle = pool.batchesSent;
  const later = [fn.handler(9, fakeContext()), fn.handler(10, fakeContext())];
  expect(pool.batchesSent).toBe(idle);
  expect(await Promise.all(later)).toEqual([18, 20]);
  expect(pool.batchesSent).toBe(idle + 1);
});
