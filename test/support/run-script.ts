import { spawn } from 'node:child_process';

/**
 * Runs a TypeScript script in a child Node process (through tsx) and
 * resolves with its exit code and everything it printed. A child still
 * running after `killAfterMs` is SIGKILLed (exit code null), so a test of
 * "the process exits by itself" fails on its assertion, not on a time-out.
 */
export function runScript(script: string, args: readonly string[] = [], killAfterMs = 20_000): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, out });
    });
  });
}
