import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/run-command.ts';

const seed = fileURLToPath(new URL('../../specs/seed', import.meta.url));

describe('actorq run --strict', () => {
  it('runs in strict mode: the seed consumer, which has no security block, fails to start and the command exits 1', async () => {
    const lines: string[] = [];
    const io = { out: (t: string) => void lines.push(t), err: (t: string) => void lines.push(t) };
    const code = await runCommand.run(['--strict', '--log-level', 'error', seed], io);
    expect(code).toBe(1);
    expect(lines.join('\n')).toContain('code without an actor may not queue.consume app.queue:tasks (strict mode: no actor)');
  }, 30_000);
});
