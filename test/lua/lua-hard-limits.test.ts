import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, test } from 'vitest';
import type { LoadedLuaFunction } from '../../src/functions/lua/lua-function.ts';
import { LuaIsolateLostError, LuaStoppedError } from '../../src/functions/lua/lua-errors.ts';
import { fakeContext, loadLua, outcome } from './lua-test-kit.ts';

// Work Lua's debug hook cannot interrupt (inside a C function such as a
// string pattern, a pcall that swallows the hook's error, a loop in a
// coroutine) ends at the time limit because the isolate running it is
// terminated. Each test also checks the main thread kept running, and that
// the function works again afterwards (a fresh isolate).

let fn: LoadedLuaFunction | undefined;
afterEach(async () => {
  await fn?.close?.();
  fn = undefined;
});

const STUCK = `return function(b)
  if b.case == "pattern" then return (("a"):rep(40)):find(("a*"):rep(12) .. "b") end
  if b.case == "trim" then return (b.text:match("^%s*(.-)%s*$")) end
  if b.case == "coroutine" then
    local co = coroutine.wrap(function() while true do pcall(function() while true do end end) end end)
    return co()
  end
  if b.case == "sort" then
    local t = { 3, 1, 2 }
    while true do pcall(table.sort, t, function(x, y) while true do end end) end
  end
  return "fine"
end`;

/** Runs `body` with a 1s limit while a 10ms timer counts; returns the outcome, time taken and the longest timer gap. */
async function stuckCall(body: unknown) {
  let ticks = 0;
  let last = performance.now();
  let maxGap = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 10);
  const started = Date.now();
  const r = await outcome(fn!, body);
  clearInterval(probe);
  return { r, ms: Date.now() - started, ticks, maxGap };
}

describe('a call past its timeout is ended whatever it runs', () => {
  for (const [name, body] of [
    ['the catastrophic pattern ("a"):rep(40):find(("a*"):rep(12).."b")', { case: 'pattern' }],
    ['the trim idiom ^%s*(.-)%s*$ on a 100 KB field', { case: 'trim', text: `a${' '.repeat(100_000)}b` }],
    ['an endless loop inside a coroutine, swallowing the stop with pcall', { case: 'coroutine' }],
    ['pcall(table.sort, t, comparator) with a comparator that loops, retried forever', { case: 'sort' }],
  ] as const) {
    test(name, async () => {
      fn = await loadLua({ 'handler.lua': STUCK }, { timeout: '1s' });
      const { r, ms, ticks } = await stuckCall(body);
      expect(r.acked).toBe(false);
      expect(r.error).toBeInstanceOf(LuaStoppedError);
      expect((r.error as LuaStoppedError).code).toBe('HANDLER_TIMEOUT');
      // Limit + grace + a sweep, with room for a loaded machine; the old in-thread runs took 40 s or never ended.
      expect(ms).toBeGreaterThanOrEqual(1000);
      expect(ms).toBeLessThan(5000);
      // The caller's thread kept its timers running meanwhile.
      expect(ticks).toBeGreaterThan(20);
      expect(fn.pool.replaced).toBe(1);
      expect((await outcome(fn, { case: 'none' })).value).toBe('fine');
    }, 30_000);
  }

  test('a stuck call is ended when the consumer signal aborts, with no function timeout (timeout: 0)', async () => {
    fn = await loadLua({ 'handler.lua': STUCK }, { timeout: 0 });
    const ctx = fakeContext();
    setTimeout(() => ctx.abort(), 300);
    const started = Date.now();
    const r = await outcome(fn, { case: 'pattern' }, ctx);
    expect((r.error as LuaStoppedError).code).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(fn.pool.replaced).toBe(1);
  }, 30_000);
});

describe('the other calls of a terminated isolate', () => {
  test('one not started yet runs on the new isolate; one that had started is nacked with ISOLATE_LOST', async () => {
    fn = await loadLua(
      {
        'handler.lua': `local queue = require("queue")
        return function(b)
          if b == "publish" then queue.publish("app.test:out", "x") return "published" end
          if b == "stuck" then return (("a"):rep(40)):find(("a*"):rep(12) .. "b") end
          return "ran " .. b
        end`,
      },
      { modules: ['queue'], timeout: '20s' },
    );
    // 1. A call that starts and waits on a publish that is never accepted.
    let publishes = 0;
    const started = outcome(fn, 'publish', fakeContext({ id: 'waiting', publish: () => (publishes++, new Promise(() => {})) }));
    while (publishes === 0) await new Promise((r) => setTimeout(r, 5));
    // 2. In one turn (one batch): the stuck call, then one queued behind it.
    // The stuck call's consumer gives up on it (its signal aborts).
    const stuckCtx = fakeContext({ id: 'stuck' });
    setTimeout(() => stuckCtx.abort(), 300);
    const stuck = outcome(fn, 'stuck', stuckCtx);
    const queued = outcome(fn, 'queued', fakeContext({ id: 'queued' }));
    const [s, q, w] = await Promise.all([stuck, queued, started]);
    expect((s.error as LuaStoppedError).code).toBe('ABORTED');
    expect(q).toMatchObject({ acked: true, value: 'ran queued' });
    expect(w.error).toBeInstanceOf(LuaIsolateLostError);
    expect((w.error as LuaIsolateLostError).code).toBe('ISOLATE_LOST');
    expect(w.error!.message).toMatch(/message stuck\) ran past its limit/);
  }, 30_000);
});

describe('several isolates', () => {
  test('isolates: 2: while a call is stuck in one, the other serves the rest', async () => {
    fn = await loadLua({ 'handler.lua': STUCK }, { timeout: '3s', isolates: 2 });
    expect(fn.pool.size).toBe(2);
    let stuckEnded = false;
    const stuck = outcome(fn, { case: 'pattern' }).finally(() => (stuckEnded = true));
    await new Promise((r) => setTimeout(r, 200));
    const quick = [];
    for (let i = 0; i < 20; i++) {
      quick.push(outcome(fn, { case: 'none' }));
      await new Promise((r) => setTimeout(r, 5));
    }
    const results = await Promise.all(quick);
    expect(results.every((r) => r.value === 'fine')).toBe(true);
    // All served while the stuck call still held the other isolate.
    expect(stuckEnded).toBe(false);
    expect(((await stuck).error as LuaStoppedError).code).toBe('HANDLER_TIMEOUT');
    expect(fn.pool.replaced).toBe(1);
  }, 30_000);
});

test('a long call has its signal watched only while it runs', async () => {
  fn = await loadLua({ 'handler.lua': 'return function() local t = os.clock() while os.clock() - t < 0.15 do end return "done" end' });
  const ctx = fakeContext();
  for (let i = 0; i < 3; i++) expect((await outcome(fn, i, ctx)).value).toBe('done');
  // Watched from its second sweep on (each ran ~150 ms), and let go when it ended.
  expect(getEventListeners(ctx.signal, 'abort')).toHaveLength(0);
}, 30_000);
