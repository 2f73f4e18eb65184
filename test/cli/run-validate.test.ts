import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

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

describe('actorq validate runs no handler code (subprocess)', () => {
  // <dir>/secret.txt sits outside <dir>/cfg, where the registry files are.
  let dir: string;
  let cfg: string;
  const fn = (name: string, kind: string, source: string, extra = '') =>
    `  - name: ${name}\n    kind: ${kind}\n    source: ${source}\n${extra}`;
  const write = (name: string, ...entries: string[]) => {
    writeFileSync(join(cfg, name), `namespace: app\nentries:\n${entries.join('')}`);
    return join(cfg, name);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'actorq-validate-'));
    cfg = join(dir, 'cfg');
    mkdirSync(cfg);
    writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET-CONTENT\n');
    writeFileSync(join(dir, 'outside.mjs'), 'export default async () => {};\n');
    writeFileSync(join(cfg, 'side-effect.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(join(dir, 'marker.txt'))}, 'ran');\nexport default async () => {};\n`);
    writeFileSync(join(cfg, 'never-settles.mjs'), 'await new Promise(() => {});\nexport default async () => {};\n');
    writeFileSync(join(cfg, 'loops.lua'), 'while true do end\nreturn function(body) return body end\n');
    writeFileSync(join(cfg, 'big.lua'), Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));
    symlinkSync(join(dir, 'secret.txt'), join(cfg, 'escape.lua'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a side effect at top level, a top-level await that never settles and a Lua loop at load: nothing runs, nothing hangs', () => {
    const file = write(
      'runs.yaml',
      fn('side', 'function.js', 'file://side-effect.mjs'),
      fn('pending', 'function.js', 'file://never-settles.mjs'),
      fn('spin', 'function.lua', 'file://loops.lua', '    timeout: 0\n'),
    );
    const r = cli('validate', file);
    expect(r.signal, 'validate hung and was killed').toBeNull();
    expect(r.stdout.trim()).toBe('ok: 3 entries in 1 file: 3 functions');
    expect(r.status).toBe(0);
    expect(existsSync(join(dir, 'marker.txt'))).toBe(false);
  });

  it.each([
    ['path traversal', () => fn('h', 'function.lua', 'file://../../../../../../../../../../etc/passwd'), [], /\/etc\/passwd is outside /],
    ['a symlink leading outside', () => fn('h', 'function.lua', 'file://escape.lua'), [], /escape\.lua leads through a symlink to .*secret\.txt, outside /],
    ['/dev/zero', () => fn('h', 'function.js', 'file:///dev/zero'), [], /\/dev\/zero is outside /],
    ['/dev/zero inside --root', () => fn('h', 'function.js', 'file:///dev/zero'), ['--root', '/'], /\/dev\/zero: not a regular file \(it is a character device\)$/],
    ['a file over 10 MiB', () => fn('h', 'function.lua', 'file://big.lua'), [], /big\.lua: 10485761 bytes, over the size limit of 10 MiB$/],
  ])('%s is one ConfigError line, no stack trace, no content', (_, entry, flags, message) => {
    const r = cli('validate', ...flags, write('refused.yaml', entry()));
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('configuration invalid (1 problem):');
    expect(lines[1]).toMatch(/refused\.yaml:3: entry app:h field source: /);
    expect(lines[1]).toMatch(message);
    expect(r.stderr).not.toMatch(/TOP-SECRET|root:x:0/);
  });

  it('an alias bomb is one ConfigError line', () => {
    const levels = ['  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i++) levels.push(`  l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
    writeFileSync(join(cfg, 'bomb.yaml'), `namespace: app\nmeta:\n${levels.join('\n')}\nentries: []\n`);
    const r = cli('validate', join(cfg, 'bomb.yaml'));
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual(['configuration invalid (1 problem):', expect.stringMatching(/bomb\.yaml:4: aliases expand past 10000 copies/)]);
  });

  it('--root lets sources outside the YAML directory in', () => {
    const file = write('outside.yaml', fn('h', 'function.js', 'file://../outside.mjs'));
    expect(cli('validate', file).stderr).toMatch(/outside\.mjs is outside .*cfg \(the YAML file's directory; set root to allow more\)/);
    const r = cli('validate', '--root', dir, file);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
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
