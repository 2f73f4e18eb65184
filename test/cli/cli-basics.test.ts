import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { explicitMetricsFlag, metricsAddress } from '../../src/cli/metrics-address.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the CLI in this process and captures what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('actorq help, --version, per-command --help', () => {
  it('--version prints the package version and exits 0', async () => {
    const version = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V', 'version']) {
      const r = await cli(flag);
      expect(r.code).toBe(0);
      expect(r.out.trim()).toBe(version);
    }
  });

  it('every command answers --help and -h with its usage, exit 0, reading no file', async () => {
    for (const name of Object.keys(COMMANDS)) {
      for (const flag of ['--help', '-h']) {
        // A file argument next to --help is not read: help wins.
        const r = await cli(name, 'does-not-exist.yaml', flag);
        expect(r.code, `${name} ${flag}`).toBe(0);
        expect(r.out, name).toContain(`usage: ${COMMANDS[name]!.usage}`);
        expect(r.err).toBe('');
      }
    }
    const viaHelp = await cli('help', 'publish');
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.out).toContain('--header k=v');
  });

  it('the commands that document options list their exit codes', async () => {
    for (const name of ['run', 'validate', 'status', 'publish', 'info', 'peek', 'purge', 'dead-letters']) {
      expect((await cli(name, '--help')).out, name).toMatch(/exit codes: 0 /);
    }
  });

  it('a mistyped command gets a suggestion and exit 2', async () => {
    const r = await cli('valdate', 'specs/seed');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command "valdate" (did you mean validate?)');
    expect((await cli('dead-leters')).err).toContain('did you mean dead-letters?');
    const far = await cli('frobnicate');
    expect(far.code).toBe(2);
    expect(far.err).not.toContain('did you mean');
  });

  it('an unknown option is named (with the nearest known one), never read as a file', async () => {
    const r = await cli('validate', '--bogus', 'specs/seed');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown option --bogus');
    expect(r.err).not.toMatch(/cannot read|ENOENT|configuration invalid/);
    const typo = await cli('run', '--metric', '9464', 'specs/seed');
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('unknown option --metric (did you mean --metrics?)');
    expect((await cli('status', '--metrics-ur', 'x')).err).toContain('(did you mean --metrics-url?)');
    expect((await cli('peek', 'specs/seed', 'app.queue:tasks', '--cont', '3')).err).toContain('(did you mean --count?)');
    const diagram = await cli('diagram', '--bogus', 'specs/seed');
    expect(diagram.code).toBe(2);
    expect(diagram.err).toContain('unknown option --bogus');
    const missing = await cli('validate', '--root');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('option --root needs a value');
  });
});

describe('metrics addresses: one format for run --metrics and status --metrics-url', () => {
  it('accepts a port, host:port, [v6]:port and a URL; empty is the default', () => {
    expect(metricsAddress('')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(metricsAddress('9500')).toEqual({ host: '127.0.0.1', port: 9500 });
    expect(metricsAddress('0.0.0.0:9500')).toEqual({ host: '0.0.0.0', port: 9500 });
    expect(metricsAddress('[::1]:9500')).toEqual({ host: '::1', port: 9500 });
    expect(metricsAddress('http://localhost:9500')).toEqual({ host: 'localhost', port: 9500 });
    expect(metricsAddress('http://127.0.0.1:9500/metrics')).toEqual({ host: '127.0.0.1', port: 9500 });
    expect(metricsAddress('http://127.0.0.1:9500/status/')).toEqual({ host: '127.0.0.1', port: 9500 });
    expect(metricsAddress('specs/seed')).toBeUndefined();
    expect(metricsAddress('ftp://127.0.0.1:9500')).toBeUndefined();
    expect(metricsAddress('127.0.0.1:99999')).toBeUndefined();
  });

  it('a bare --metrics takes the default, leaving the next argument a file', () => {
    expect(explicitMetricsFlag(['--metrics', 'specs/seed'])).toEqual(['--metrics=', 'specs/seed']);
    expect(explicitMetricsFlag(['specs/seed', '--metrics'])).toEqual(['specs/seed', '--metrics=']);
    expect(explicitMetricsFlag(['--metrics', '--log-level', 'warn', 'x'])).toEqual(['--metrics=', '--log-level', 'warn', 'x']);
    expect(explicitMetricsFlag(['--metrics', '9500', 'specs/seed'])).toEqual(['--metrics=9500', 'specs/seed']);
    expect(explicitMetricsFlag(['--metrics', 'http://127.0.0.1:9500', 'x'])).toEqual(['--metrics=http://127.0.0.1:9500', 'x']);
    expect(explicitMetricsFlag(['--metrics=1.2.3.4:5', 'x'])).toEqual(['--metrics=1.2.3.4:5', 'x']);
    expect(explicitMetricsFlag(['--', '--metrics'])).toEqual(['--', '--metrics']);
  });

  it('status takes host:port like run --metrics, and says how to start the server', async () => {
    const r = await cli('status', '--metrics-url', '127.0.0.1:1');
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot read http://127.0.0.1:1/status');
    expect(r.err).toContain('actorq run --metrics 127.0.0.1:1');
    const bad = await cli('status', '--metrics-url', 'nowhere/at/all');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--metrics-url: expected host:port');
  });
});

/** Runs `actorq run ...` as a subprocess until `done(stderr)` or exit; returns the exit code (null if it had to be stopped) and stderr. */
function runUntil(args: string[], done: (stderr: string) => boolean): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['src/cli/bin.mjs', 'run', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.stderr.on('data', (d) => {
      stderr += d;
      if (done(stderr)) child.kill('SIGINT');
    });
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    });
  });
}

describe('actorq run: ports (subprocess)', { timeout: 60_000 }, () => {
  let occupied: Server;
  let port: number;
  let dir: string;
  /** A broker nobody answers on: were the runtime started first, its driver's failure would be the error. */
  let unreachable: string;
  beforeAll(async () => {
    occupied = createServer();
    await new Promise<void>((r) => occupied.listen(0, '127.0.0.1', r));
    port = (occupied.address() as { port: number }).port;
    dir = mkdtempSync(join(tmpdir(), 'actorq-cli-ports-'));
    unreachable = join(dir, 'unreachable.yaml');
    const driver = `  - name: broker\n    kind: queue.driver.amqp\n    url: amqp://guest:guest@127.0.0.1:1/\n    lifecycle: { auto_start: true, start_timeout: 2s }\n`;
    writeFileSync(unreachable, `namespace: app\nentries:\n${driver}  - name: q\n    kind: queue.queue\n    driver: app:broker\n`);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await new Promise<void>((r) => occupied.close(() => r()));
  });

  it('a metrics port in use is a one-line error, exit 1, before anything starts', async () => {
    const r = await runUntil(['--metrics', `127.0.0.1:${port}`, unreachable], () => false);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`error START_FAILED: metrics: 127.0.0.1:${port} is in use (choose another with --metrics host:port)`);
  });

  it('an inspector port in use is a one-line error, exit 1, before anything starts', async () => {
    const r = await runUntil(['--inspect', '--inspect-port', String(port), unreachable], () => false);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`error START_FAILED: inspector: port ${port} on 127.0.0.1 is in use (choose another with --inspect-port)`);
  });

  it('run --metrics without a value serves on the documented default, 127.0.0.1:9464', async () => {
    // Another program may hold 9464 on this machine: then the one-line error names the same default.
    const r = await runUntil(['--metrics', 'specs/seed'], (s) => /running \d+ entries|error /.test(s));
    expect(r.stderr).toMatch(/metrics at http:\/\/127\.0\.0\.1:9464\/metrics|metrics: 127\.0\.0\.1:9464 is in use/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
