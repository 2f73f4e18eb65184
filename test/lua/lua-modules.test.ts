import { afterEach, describe, expect, test } from 'vitest';
import type { LoadedLuaFunction } from '../../src/functions/lua/lua-function.ts';
import { fakeContext, loadLua, outcome, recordingLogger } from './lua-test-kit.ts';

let fn: LoadedLuaFunction | undefined;
afterEach(async () => {
  await fn?.close?.();
  fn = undefined;
});

describe('json module', () => {
  test('decode returns a table unchanged and decodes a JSON string', async () => {
    fn = await loadLua(
      { 'handler.lua': 'local json = require("json")\nreturn function(b) local d = json.decode(b); return { same = d == b, id = d.id } end' },
      { modules: ['json'] },
    );
    expect((await outcome(fn, { id: 'x' })).value).toEqual({ same: true, id: 'x' });
    expect((await outcome(fn, '{"id":"y"}')).value).toEqual({ same: false, id: 'y' });
  });

  test('decode of invalid JSON returns nil, err', async () => {
    fn = await loadLua(
      { 'handler.lua': 'local json = require("json")\nreturn function(b) local v, err = json.decode(b); return { v = v, err = err } end' },
      { modules: ['json'] },
    );
    const value = (await outcome(fn, '{oops')).value as { v?: unknown; err: string };
    expect(value.v).toBeUndefined();
    expect(value.err).toMatch(/^json\.decode: /);
  });

  test('round trip keeps nested objects, arrays and empty tables', async () => {
    fn = await loadLua(
      { 'handler.lua': 'local json = require("json")\nreturn function(b) return json.encode(json.decode(b)) end' },
      { modules: ['json'] },
    );
    const doc = { a: { b: [1, 2, { c: 'd' }] }, list: ['x', 'y'], n: 1.5, t: true, empty: {} };
    expect(JSON.parse((await outcome(fn, JSON.stringify(doc))).value as string)).toEqual(doc);
    expect((await outcome(fn, '[]')).value).toBe('{}');
    expect((await outcome(fn, '"s"')).value).toBe('"s"');
  });
});

describe('logger module', () => {
  test('levels and fields reach ctx.logger', async () => {
    fn = await loadLua(
      {
        'handler.lua': `local logger = require("logger")
return function(b)
  logger.debug("d")
  logger.info("Processing", { task_id = b.id, tags = { "a", "b" } })
  logger.warn("w", { n = 1 })
  logger.error("e", "not a table")
end`,
      },
      { modules: ['logger'] },
    );
    const r = await outcome(fn, { id: 'task-1' });
    expect(r.ctx.logs).toEqual([
      { level: 'debug', message: 'd' },
      { level: 'info', message: 'Processing', fields: { task_id: 'task-1', tags: ['a', 'b'] } },
      { level: 'warn', message: 'w', fields: { n: 1 } },
      { level: 'error', message: 'e' },
    ]);
  });

  test('the colon form Wippy\'s docs also use (logger:info) logs the same line', async () => {
    fn = await loadLua(
      {
        'handler.lua': `local logger = require("logger")
return function(b)
  logger:info("Processing", { task_id = b.id })
  logger:warn("plain")
end`,
      },
      { modules: ['logger'] },
    );
    const r = await outcome(fn, { id: 'task-2' });
    expect(r.ctx.logs).toEqual([
      { level: 'info', message: 'Processing', fields: { task_id: 'task-2' } },
      { level: 'warn', message: 'plain' },
    ]);
  });

  test('lines written while loading go to the runtime logger with the function id', async () => {
    const logger = recordingLogger();
    fn = await loadLua(
      { 'handler.lua': 'local logger = require("logger")\nlogger.info("loaded", { v = 1 })\nreturn function() end' },
      { modules: ['logger'] },
      logger,
    );
    expect(logger.lines).toEqual([{ level: 'info', message: 'loaded', fields: { function: 'app.test:handler', v: 1 } }]);
    expect((await outcome(fn, 1, fakeContext())).acked).toBe(true);
  });
});
