/**
 * The package as a user gets it: `npm pack` (which builds dist/ through
 * `prepare`), then `npm install` of the tarball into a fresh app in the
 * temporary directory, outside this repository, so nothing resolves to the
 * sources or to this repository's node_modules. Dependencies come from the
 * registry (or npm's cache: `--prefer-offline`).
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_CONFIG, APP_LUA, E2E_SCRIPT, REQUIRE_SCRIPT, TS_APP, TS_CONFIG, TS_HANDLER_CONFIG } from './app-fixture.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const TSC = require.resolve('typescript/bin/tsc');
const TYPES_NODE_VERSION = (require('@types/node/package.json') as { version: string }).version;
// Packing builds (tsc over the whole tree) and installing fetches; both are slow on a busy machine.
const SETUP_MS = 480_000;
const STEP_MS = 120_000;

// Each case runs Node (or tsc) in a child process: seconds each on a busy machine.
vi.setConfig({ testTimeout: STEP_MS });

let work: string;
let app: string;
let tarball: string;

function run(command: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', timeout: STEP_MS, env: { ...process.env, npm_config_update_notifier: 'false' } });
}

function ok(result: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'actorq-package-'));
  ok(run('npm', ['pack', '--pack-destination', work], ROOT), 'npm pack');
  const packed = readdirSync(work).filter((f) => f.endsWith('.tgz'));
  expect(packed).toHaveLength(1);
  tarball = join(work, packed[0]!);

  app = join(work, 'app');
  mkdirSync(join(app, 'config'), { recursive: true });
  mkdirSync(join(app, 'ts-config'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'actorq-package-test-app', private: true, type: 'module' }));
  writeFileSync(join(app, 'config', 'queue.yaml'), APP_CONFIG);
  writeFileSync(join(app, 'config', 'forward.lua'), APP_LUA);
  writeFileSync(join(app, 'main.mjs'), E2E_SCRIPT);
  writeFileSync(join(app, 'require.cjs'), REQUIRE_SCRIPT);
  writeFileSync(join(app, 'typed.ts'), TS_APP);
  writeFileSync(join(app, 'tsconfig.json'), TS_CONFIG);
  writeFileSync(join(app, 'ts-config', 'queue.yaml'), TS_HANDLER_CONFIG);
  writeFileSync(join(app, 'ts-config', 'handler.ts'), 'export default async (body: unknown): Promise<void> => {}\n');
  const install = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, `@types/node@${TYPES_NODE_VERSION}`];
  ok(run('npm', install, app), 'npm install');
}, SETUP_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships the compiled code, its types and the schema, and nothing from the repository around them', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    const outside = files.filter((f) => !/^(dist\/(src|machines)\/|schema\/)/.test(f) && !/^(package\.json|README\.md|LICENSE)$/.test(f));
    expect(outside).toEqual([]);
    for (const needed of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/index.js.map', 'dist/src/cli/bin.js', 'dist/src/functions/lua/bootstrap.lua', 'dist/src/functions/lua/lua-isolate-entry.mjs', 'dist/src/testing/index.js', 'schema/actorq.schema.json']) {
      expect(files).toContain(needed);
    }
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('installs without tsx (an optional peer, needed only for TypeScript handlers)', () => {
    expect(existsSync(join(app, 'node_modules', 'actorq', 'dist', 'src', 'index.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
  });
});

describe('the installed package', () => {
  it('runs a memory configuration end to end from plain node (ESM import, a JS and a Lua handler)', () => {
    const r = ok(run(process.execPath, ['main.mjs'], app), 'node main.mjs');
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { collected: number[]; testing: string[]; state: string };
    expect(out.collected).toEqual([1, 2, 3]);
    expect(out.state).toBe('stopped');
    expect(out.testing.length).toBeGreaterThan(0);
  });

  it('loads from CommonJS through require()', () => {
    const r = ok(run(process.execPath, ['require.cjs'], app), 'node require.cjs');
    expect(r.stdout.trim()).toBe('function');
  });

  it('type-checks a strict TypeScript app (exactOptionalPropertyTypes, noUncheckedIndexedAccess)', () => {
    const r = run(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('installs a working actorq command (validate, schema)', () => {
    const bin = join(app, 'node_modules', '.bin', 'actorq');
    const validate = run(bin, ['validate', 'ts-config'], app);
    expect(validate.stderr).toBe('');
    expect(validate.stdout.trim()).toBe('ok: 4 entries in 1 file: 1 driver, 1 queue, 1 consumer, 1 function');
    expect(validate.status).toBe(0);
    const schema = ok(run(bin, ['schema'], app), 'actorq schema');
    expect(JSON.parse(schema.stdout)).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema' });
  });

  it('says to install tsx when a TypeScript handler is configured without it', () => {
    const r = run(join(app, 'node_modules', '.bin', 'actorq'), ['run', 'ts-config'], app);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/handler\.ts: a TypeScript handler needs tsx, which is not installed: run `npm install tsx`/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

// Keeps the fixture copy in sync with the repository's specs: the example a reader runs first.
describe('the repository example', () => {
  it('validates with the installed command', () => {
    const copy = join(work, 'seed');
    cpSync(join(ROOT, 'specs', 'seed'), copy, { recursive: true });
    const r = run(join(app, 'node_modules', '.bin', 'actorq'), ['validate', copy], app);
    expect(r.stdout.trim()).toBe('ok: 4 entries in 1 file: 1 driver, 1 queue, 1 consumer, 1 function');
  });
});
