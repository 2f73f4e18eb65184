import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../drivers/redis/redis-test-env.ts';

// `actorq run` with a Lua handler stuck in a string pattern, which no Lua
// hook can interrupt, and no function time limit (timeout: 0): SIGTERM
// still stops the process within the consumer's stop_timeout plus a second,
// and the message goes back to its queue. The message comes in through
// Redis (the shared local server, keys under a prefix of this test only).

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const prefix = uniquePrefix('lua-sigterm');
const STOP_TIMEOUT_MS = 2000;

let child: ChildProcess | undefined;
const dirs: string[] = [];
afterAll(async () => {
  // Also when the test timed out: never leave the child running.
  child?.kill('SIGKILL');
  await deletePrefix(prefix);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function writeConfig(withConsumer: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'actorq-lua-sigterm-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'stuck.lua'), 'return function() return (("a"):rep(40)):find(("a*"):rep(12) .. "b") end');
  const consumer = `
  - { name: stuck, kind: function.lua, source: file://stuck.lua, timeout: 0 }
  - name: stuck_consumer
    kind: queue.consumer
    queue: app.sig:tasks
    func: app.sig:stuck
    lifecycle: { auto_start: true, stop_timeout: ${STOP_TIMEOUT_MS}ms }`;
  writeFileSync(
    join(dir, 'config.yaml'),
    `namespace: app.sig
entries:
  - { name: redis, kind: queue.driver.redis, url: "${REDIS_URL}", key_prefix: "${prefix}", lifecycle: { auto_start: true } }
  - { name: tasks, kind: queue.queue, driver: app.sig:redis }${withConsumer ? consumer : ''}
`,
  );
  return dir;
}

test('SIGTERM during a stuck Lua call: the process exits within stop_timeout + 1 s and the message is kept', async () => {
  const proc = (child = spawn(process.execPath, ['src/cli/bin.mjs', 'run', writeConfig(true)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
  const publisher = createRuntime({ files: [writeConfig(false)], logger: silentLogger });
  try {
    await until(() => stderr.includes('actorq: running'), 30_000, () => stderr);
    await publisher.start();
    await publisher.publish('app.sig:tasks', { id: 'stuck' });
    // The child took it (in flight), then give the pattern time to get going.
    await until(async () => (await publisher.info('app.sig:tasks')).in_flight === 1, 10_000, () => stderr);
    await new Promise((r) => setTimeout(r, 300));

    const signalled = Date.now();
    proc.kill('SIGTERM');
    const code = await exited;
    const took = Date.now() - signalled;
    expect(took).toBeLessThan(STOP_TIMEOUT_MS + 1000);
    expect(code).toBe(0);
    expect(stderr).toMatch(/terminating its isolate/);
    expect(stderr).toMatch(/stopped cleanly/);
    // Nothing lost: the message is back in the queue.
    const info = await publisher.info('app.sig:tasks');
    expect(info.ready).toBe(1);
  } finally {
    proc.kill('SIGKILL');
    await publisher.stop().catch(() => undefined);
  }
}, 60_000);

async function until(check: () => boolean | Promise<boolean>, ms: number, context: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met in time; child stderr:\n${context()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
