import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { mayBeRegistryFile } from '../../src/config/discover-files.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { LogFields, Logger } from '../../src/util/logger.ts';
import { configErrorOf, testKinds } from './helpers.ts';

const SPECS = fileURLToPath(new URL('../../specs/', import.meta.url));
const REGISTRY = 'namespace: app\nentries:\n  - name: mem\n    kind: queue.driver.memory\n';
const COMPOSE = 'services:\n  redis:\n    image: redis:7\n    ports: ["6379:6379"]\n';
const LOCK = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies: {}\n";

let dir: string;
const write = (rel: string, text: string) => {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
};

/** A logger that keeps its debug lines. */
function recordingLogger(): Logger & { readonly debugs: { message: string; fields?: LogFields }[] } {
  const debugs: { message: string; fields?: LogFields }[] = [];
  const none = () => {};
  return { debugs, debug: (message, fields) => void debugs.push({ message, ...(fields ? { fields } : {}) }), info: none, warn: none, error: none };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'actorq-discover-'));
  // A project root: the registry file beside other tools' YAML.
  write('project/actorq.yaml', REGISTRY);
  write('project/docker-compose.yml', COMPOSE);
  write('project/pnpm-lock.yaml', LOCK);
  write('project/empty.yaml', '');
  write('project/.github/ci.yaml', 'on: push\n');
  write('project/fixtures/invalid/broken.yaml', 'namespace: x\nentries:\n  - name: a\n    kind: nope\n');
  // Only other tools' YAML.
  write('tools/docker-compose.yml', COMPOSE);
  // Broken registry files must be reported, not skipped.
  write('broken/syntax.yaml', 'namespace: app\nentries: [\n');
  write('broken/no-namespace.yaml', 'entries: []\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loading a directory', () => {
  it('loads the registry files in it and skips other YAML with a debug line', async () => {
    const logger = recordingLogger();
    const registry = await loadConfig([join(dir, 'project')], { kinds: testKinds, logger });
    expect(registry.files).toEqual([join(dir, 'project/actorq.yaml')]);
    expect(logger.debugs.map((d) => d.fields?.['file'])).toEqual(['docker-compose.yml', 'empty.yaml', 'pnpm-lock.yaml'].map((f) => join(dir, 'project', f)));
    expect(logger.debugs[0]!.message).toMatch(/not a registry file/);
  });

  it('does not read subdirectories (fixtures, invalid cases)', async () => {
    const registry = await loadConfig([join(dir, 'project')], { kinds: testKinds });
    expect(registry.entries.size).toBe(1);
  });

  it('loads the repository examples whose invalid cases sit in a subdirectory', async () => {
    for (const example of ['redis', 'amqp']) {
      const registry = await loadConfig([join(SPECS, example)]);
      expect(registry.files.every((f) => !f.includes('/invalid/'))).toBe(true);
      expect(registry.entries.size).toBeGreaterThan(0);
    }
  });

  it('reports a directory whose YAML files are none of them registry files', async () => {
    const e = await configErrorOf(() => loadConfig([join(dir, 'tools')], { kinds: testKinds }));
    expect(e.issues).toEqual([{ file: join(dir, 'tools'), message: `no registry files in this directory (YAML with namespace and entries at the top level); skipped: ${join(dir, 'tools/docker-compose.yml')}` }]);
  });

  it('reports broken registry files rather than skipping them', async () => {
    const e = await configErrorOf(() => loadConfig([join(dir, 'broken')], { kinds: testKinds }));
    expect(e.issues.map((i) => [i.file, i.field])).toEqual([
      [join(dir, 'broken/no-namespace.yaml'), 'namespace'],
      [join(dir, 'broken/syntax.yaml'), undefined],
    ]);
  });

  it('reads a file named on its own even when it is not a registry file', async () => {
    const e = await configErrorOf(() => loadConfig([join(dir, 'project/docker-compose.yml')], { kinds: testKinds }));
    expect(e.issues.some((i) => i.field === 'namespace')).toBe(true);
  });

  it('actorq validate . works in a project root that has other YAML files', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['validate', join(dir, 'project')], { out: (t) => void out.push(t), err: (t) => void err.push(t) });
    expect(err).toEqual([]);
    expect(out.join('')).toMatch(/^ok: 1 entry in 1 file/);
    expect(code).toBe(0);
  });
});

describe('mayBeRegistryFile', () => {
  it.each([
    ['a registry file', REGISTRY, true],
    ['only entries', 'entries: []\n', true],
    ['only a namespace', 'namespace: app\n', true],
    ['a YAML syntax error', 'namespace: [\n', true],
    ['docker-compose.yml', COMPOSE, false],
    ['pnpm-lock.yaml', LOCK, false],
    ['an empty file', '', false],
    ['a list', '- a\n- b\n', false],
    ['a scalar', 'hello\n', false],
  ])('%s: %s', (_name, text, expected) => {
    expect(mayBeRegistryFile(text)).toBe(expected);
  });
});
