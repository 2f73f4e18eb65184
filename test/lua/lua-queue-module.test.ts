import { afterEach, describe, expect, test } from 'vitest';
import type { LoadedLuaFunction } from '../../src/functions/lua/lua-function.ts';
import { fakeContext, loadLua, outcome } from './lua-test-kit.ts';

let fn: LoadedLuaFunction | undefined;
afterEach(async () => {
  await fn?.close?.();
  fn = undefined;
});

const loadQueue = async (body: string) =>
  (fn = await loadLua({ 'handler.lua': `local queue = require("queue")\n${body}` }, { modules: ['queue'] }));

describe('queue.publish', () => {
  test('waits for the publish and returns true', async () => {
    await loadQueue(`return function(b)
      local ok, err = queue.publish("app.test:out", { id = b.id, list = { 1, 2 } }, { correlation_id = "c-1", n = 2, f = 1.5, flag = true })
      return { ok = ok, err = err }
    end`);
    const r = await outcome(fn!, { id: 'a' });
    expect(r.value).toEqual({ ok: true });
    expect(r.ctx.published).toEqual([
      { queueId: 'app.test:out', body: { id: 'a', list: [1, 2] }, headers: { correlation_id: 'c-1', n: 2, f: 1.5, flag: true } },
    ]);
  });

  test('returns nil, err for bad arguments and rejected publishes', async () => {
    await loadQueue(`return function(case)
      if case == "empty" then return queue.publish("app.test:out", {}) end
      if case == "nodata" then return queue.publish("app.test:out") end
      if case == "noqueue" then return queue.publish(nil, "x") end
      if case == "missing" then return queue.publish("app.test:missing", "x") end
      if case == "header" then return queue.publish("app.test:out", "x", { bad = { 1 } }) end
      if case == "string" then return queue.publish("app.test:out", "plain") end
    end`);
    const err = async (c: string) => (await outcome(fn!, c)).error?.message;
    expect(await err('empty')).toBe('queue.publish: data must not be an empty table');
    expect(await err('nodata')).toBe('queue.publish: data is required');
    expect(await err('noqueue')).toBe('queue.publish: queue id is required');
    expect(await err('missing')).toBe('queue not found: app.test:missing');
    expect(await err('header')).toBe('queue.publish: header "bad" must be a boolean, integer, number or string, got table');
    expect((await outcome(fn!, 'string')).acked).toBe(true);
  });

  test('a publish the runtime rejects is nil, err, not a raised error', async () => {
    const ctx = fakeContext({ publish: async () => Promise.reject(new Error('header "attempts" is reserved')) });
    await loadQueue('return function() local ok, err = queue.publish("app.test:out", "x"); return err end');
    expect((await outcome(fn!, 1, ctx)).value).toBe('header "attempts" is reserved');
  });

  test('queue.info returns the figures as a table', async () => {
    await loadQueue(`return function(q)
      local info, err = queue.info(q)
      if not info then return nil, err end
      return info.message_count + info.ready * 10
    end`);
    expect((await outcome(fn!, 'app.test:out')).value).toBe(23);
    expect((await outcome(fn!, 'app.test:missing')).error?.message).toBe('queue not found: app.test:missing');
  });
});

describe('queue.message', () => {
  test('id, header, headers inside a handler', async () => {
    await loadQueue(`return function()
      local msg = queue.message()
      local headers = msg:headers()
      return { id = msg:id(), kind = msg:header("kind"), none = msg:header("none"), n = headers.n }
    end`);
    const r = await outcome(fn!, 1, fakeContext({ id: 'm-9', headers: { kind: 'task', n: 3 } }));
    expect(r.value).toEqual({ id: 'm-9', kind: 'task', n: 3 });
  });

  test('ack settles once; a second settle is an "already settled" error', async () => {
    await loadQueue(`return function()
      local msg = queue.message()
      local ok1, err1 = msg:ack()
      local ok2, err2 = msg:nack()
      return { ok1 = ok1, err1 = err1, ok2 = ok2, err2 = err2 }
    end`);
    const r = await outcome(fn!, 1, fakeContext({ id: 'm-1' }));
    expect(r.ctx.settled).toBe('acked');
    expect(r.value).toEqual({ ok1: true, err2: 'message m-1 already settled (acked)' });
  });

  test('nack settles the message as nacked', async () => {
    await loadQueue('return function() return queue.message():nack() end');
    const r = await outcome(fn!, 1);
    expect(r.ctx.settled).toBe('nacked');
  });

  test('a message object kept past its handler returns "released" errors', async () => {
    await loadQueue(`local kept
    return function(step)
      if step == 1 then kept = queue.message(); return true end
      local results = {}
      for _, op in ipairs({ "id", "header", "headers", "ack", "nack" }) do
        local v, err = kept[op](kept, "k")
        results[op] = { v = v, err = err }
      end
      return results
    end`);
    await outcome(fn!, 1, fakeContext({ id: 'first' }));
    const r = await outcome(fn!, 2, fakeContext({ id: 'second' }));
    const released = { err: 'message released: its handler has finished' };
    expect(r.value).toEqual({ id: released, header: released, headers: released, ack: released, nack: released });
    expect(r.ctx.settled).toBeUndefined();
  });

  test('outside a handler it returns nil, err', async () => {
    await loadQueue('local m, err = queue.message()\nreturn function() return { m = m, err = err } end');
    expect((await outcome(fn!, 1)).value).toEqual({ err: 'queue.message: no message: called outside a handler' });
  });
});
