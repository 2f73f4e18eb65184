import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deletePrefix } from '../drivers/redis/redis-test-env.ts';

const script = fileURLToPath(new URL('./fixtures/publish-and-exit.mts', import.meta.url));

describe('a process exits by itself after stop()', () => {
  it('a publisher-only script on a broker driver (startEntry, publish, stop) exits', async () => {
    const prefix = `actorq-test:exit:${process.pid}:${Date.now()}:`;
    const child = spawn(process.execPath, ['--import', 'tsx', script, prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => {
      // Generous for a loaded machine; the bug was never exiting at all.
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (c) => {
        clearTimeout(killer);
        resolve(c);
      });
    });
    await deletePrefix(prefix);
    expect(out).toContain('stopped');
    expect(code).toBe(0);
  }, 30_000);
});
