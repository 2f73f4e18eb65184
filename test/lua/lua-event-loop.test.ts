import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { recordingLogger } from './lua-test-kit.ts';

// While a Lua call is stuck where Lua cannot interrupt it (a catastrophic
// string pattern), the process must go on: timers fire, another consumer
// of the same runtime works through its messages, and stop() ends the
// stuck call although its function has no time limit (timeout: 0).

const STUCK_LUA = `return function(b)
  return (("a"):rep(40)):find(("a*"):rep(12) .. "b")
end`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function config(): string {
  const dir = mkdtempSync(join(tmpdir(), 'actorq-lua-loop-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'stuck.lua'), STUCK_LUA);
  writeFileSync(
    join(dir, 'runtime.yaml'),
    `namespace: app.loop
entries:
  - { name: memory, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: lua_tasks, kind: queue.queue, driver: app.loop:memory }
  - { name: js_tasks, kind: queue.queue, driver: app.loop:memory, driver_options: { memory: { max_length: 10000 } } }
  - { name: stuck, kind: function.lua, source: file://stuck.lua, timeout: 0 }
  - name: lua_consumer
    kind: queue.consumer
    queue: app.loop:lua_tasks
    func: app.loop:stuck
    lifecycle: { auto_start: true, stop_timeout: 5s }
  - name: js_consumer
    kind: queue.consumer
    queue: app.loop:js_tasks
    func: app.loop:js_handler
    concurrency: 4
    lifecycle: { auto_start: true }
`,
  );
  return dir;
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a stuck Lua call stalls neither timers nor a JS consumer of the same runtime, and stop() ends it', async () => {
  const logger = recordingLogger();
  let handled = 0;
  const runtime = createRuntime({
    files: [config()],
    logger,
    functions: {
      'app.loop:js_handler': async () => {
        handled++;
      },
    },
  });
  await runtime.start();
  let stopped = false;
  try {
    // The lag probe: a 10 ms timer, and the longest gap between two of its runs.
    let last = performance.now();
    let maxLag = 0;
    const probe = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last - 10);
      last = now;
    }, 10);
    const messages = 2000;
    try {
      await runtime.publish('app.loop:lua_tasks', { id: 'stuck' });
      // The handler was called; give the isolate time to get into the pattern.
      await until(() => runtime.consumerStats('app.loop:lua_consumer').running === 1, 20_000);
      await new Promise((r) => setTimeout(r, 300));

      // A steady stream: 100 messages every 20 ms.
      for (let sent = 0; sent < messages; sent += 100) {
        await runtime.publishBatch('app.loop:js_tasks', Array.from({ length: 100 }, (_, i) => ({ n: sent + i })));
        await new Promise((r) => setTimeout(r, 20));
      }
      await until(() => handled === messages, 20_000);
      // Give the probe a few more runs, with the Lua call still stuck.
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      clearInterval(probe);
    }
    expect(maxLag).toBeLessThan(100);
    expect(runtime.consumerStats('app.loop:js_consumer').acked).toBe(messages);
    const lua = runtime.consumerStats('app.loop:lua_consumer');
    expect(lua.acked + lua.nacked).toBe(0); // still running all along

    const stopStarted = Date.now();
    await runtime.stop();
    stopped = true;
    // Within the consumer's stop_timeout (5 s): the call was ended, not waited out.
    expect(Date.now() - stopStarted).toBeLessThan(5000);
    expect(logger.lines.some((l) => l.message.includes('terminating its isolate'))).toBe(true);
  } finally {
    if (!stopped) await runtime.stop().catch(() => undefined);
  }
}, 60_000);
