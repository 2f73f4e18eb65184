import { afterEach, describe, expect, test } from 'vitest';
import type { LoadedLuaFunction } from '../../src/functions/lua/lua-function.ts';
import { streamLogger, type LogLevel } from '../../src/util/logger.ts';
import { fakeContext, loadLua, outcome } from './lua-test-kit.ts';

let fn: LoadedLuaFunction | undefined;
afterEach(async () => {
  await fn?.close?.();
  fn = undefined;
});

const everyLevel = `local logger = require("logger")
return function(b)
  logger.debug("d", { n = 1 })
  logger.info("Processing", { task_id = b.id })
  logger.warn("w")
  logger.error("e", { n = 4 })
end`;

// The isolate learns with each call which levels the consumer's logger
// writes, and keeps the other lines (and their fields) in Lua.
describe('log levels of a Lua call', () => {
  test('lines of a level the consumer logger says it drops never reach it', async () => {
    fn = await loadLua({ 'handler.lua': everyLevel }, { modules: ['logger'] });
    const ctx = fakeContext();
    // Records whatever arrives, while saying it writes warn and error only:
    // a debug or info line recorded here was sent by the isolate.
    Object.defineProperty(ctx.logger, 'enabled', { value: (level: LogLevel) => level === 'warn' || level === 'error' });
    await outcome(fn, { id: 'task-1' }, ctx);
    expect(ctx.logs).toEqual([
      { level: 'warn', message: 'w' },
      { level: 'error', message: 'e', fields: { n: 4 } },
    ]);
  });

  test('through streamLogger the lines it writes are the same as before, the others absent', async () => {
    fn = await loadLua({ 'handler.lua': everyLevel }, { modules: ['logger'] });
    const lines: string[] = [];
    const ctx = fakeContext();
    (ctx as { logger: unknown }).logger = streamLogger('info', (l) => void lines.push(l));
    await outcome(fn, { id: 'task-1' }, ctx);
    expect(lines).toEqual(['INFO  Processing task_id=task-1\n', 'WARN  w\n', 'ERROR e n=4\n']);
  });
});
