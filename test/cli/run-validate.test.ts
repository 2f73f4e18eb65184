import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

// Each case starts a Node process that compiles the TypeScript sources.
vi.setConfig({ testTimeout: 60_000 });

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = 'src/cli/bin.mjs';
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });

describe('actorq validate (subprocess)', () => {
  it('prints a one-line summary and exits 0 for a valid configuration', () => {
    const r = cli('validate', 'specs/seed');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('ok: 4 entries in 1 file: 1 driver, 1 queue, 1 consumer, 1 function');
  });

  it('prints every problem with file, line, entry and field, no stack trace, and exits 1', () => {
    const r = cli('validate', 'specs/invalid/many-problems.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/configuration invalid \(\d+ problems\)/);
    expect(r.stderr).toMatch(/specs\/invalid\/many-problems\.yaml:\d+: entry \S+ field \S+: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a handler file that exports no function', () => {
    const r = cli('validate', 'specs/invalid/handler-not-function.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/handler-not-function\.yaml:\d+: entry \S+ field (source|method)/);
  });

  it('usage errors exit 2', () => {
    expect(cli('validate').status).toBe(2);
    expect(cli('frobnicate').status).toBe(2);
    const help = cli('help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/validate/);
  });
});

describe('actorq run (subprocess)', () => {
  it('starts the seed configuration and stops gracefully on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'run', 'specs/seed'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not running after 20s: ${stderr}`)), 20000);
      child.stderr.on('data', () => {
        if (/running 4 entries/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toMatch(/SIGINT received, stopping gracefully/);
    expect(stderr).toMatch(/stopped cleanly/);
    expect(code).toBe(0);
  });

  it('exits 1 with the configuration problems when the files are invalid', () => {
    const r = cli('run', 'specs/invalid/unknown-kind.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown-kind\.yaml:\d+: entry/);
  });
});
