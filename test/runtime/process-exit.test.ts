import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deletePrefix } from '../drivers/redis/redis-test-env.ts';
import { runScript } from '../support/run-script.ts';

const script = fileURLToPath(new URL('./fixtures/publish-and-exit.mts', import.meta.url));

describe('a process exits by itself after stop()', () => {
  it('a publisher-only script on a broker driver (startEntry, publish, stop) exits', async () => {
    const prefix = `actorq-test:exit:${process.pid}:${Date.now()}:`;
    // Generous for a loaded machine; the bug was never exiting at all.
    const { code, out } = await runScript(script, [prefix]);
    await deletePrefix(prefix);
    expect(out).toContain('stopped');
    expect(code).toBe(0);
  }, 30_000);
});
