import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import type { FunctionEntry } from '../../src/config/entry-types.ts';
import { jsFunctionKind } from '../../src/functions/js-function-kind.ts';
import { silentLogger } from '../../src/util/logger.ts';

// The subprocess cases start Node with tsx on a machine shared by many tests.
vi.setConfig({ testTimeout: 60_000 });

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'src/cli/bin.mjs');

// TypeScript-only syntax (an interface, annotations, `as`), a default and a named export.
const HANDLER = (tag: string) => `interface Task { readonly id: number }
export default async function handle(task: Task): Promise<string> {
  return '${tag}:' + (task.id as number);
}
export const other = (task: Task): string => '${tag}-other:' + task.id;
`;

const CONFIG = `namespace: t
entries:
  - name: mem
    kind: queue.driver.memory
    lifecycle: { auto_start: true }
  - name: q
    kind: queue.queue
    driver: t:mem
  - name: c
    kind: queue.consumer
    queue: t:q
    func: t:h
    lifecycle: { auto_start: true }
  - name: h
    kind: function.js
    source: file://handler.ts
  - name: named
    kind: function.js
    source: file://handler.ts
    method: other
`;

let dir: string;
/** One folder per package kind: `"type": "module"`, `"type": "commonjs"`, and no package.json at all. */
const FOLDERS = { module: { type: 'module' }, commonjs: { type: 'commonjs' }, bare: undefined } as const;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'actorq-ts-handlers-'));
  for (const [name, pkg] of Object.entries(FOLDERS)) {
    const folder = join(dir, name);
    mkdirSync(folder);
    if (pkg) writeFileSync(join(folder, 'package.json'), JSON.stringify(pkg));
    // Each file differs, so no transform cache can hand one folder's output to another.
    writeFileSync(join(folder, 'handler.ts'), HANDLER(name));
    writeFileSync(join(folder, 'queue.yaml'), CONFIG);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TypeScript handlers (function.js with a .ts source)', () => {
  for (const name of Object.keys(FOLDERS)) {
    it(`load and run in a folder with ${name === 'bare' ? 'no package.json' : `"type": "${name}"`}`, async () => {
      const registry = await loadConfig([join(dir, name)]);
      const load = (id: string) => jsFunctionKind.load(registry.entries.get(id) as FunctionEntry, { logger: silentLogger });
      const ctx = {} as never;
      expect(await (await load('t:h')).handler({ id: 7 } as never, ctx)).toBe(`${name}:7`);
      expect(await (await load('t:named')).handler({ id: 8 } as never, ctx)).toBe(`${name}-other:8`);
    });
  }

  // The command as run from a checkout (tsx registered for actorq's own sources) loads them too.
  for (const name of Object.keys(FOLDERS)) {
    it(`actorq run starts with a .ts handler in the ${name} folder`, async () => {
      const child = spawn(process.execPath, [BIN, 'run', join(dir, name)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve) => {
        child.stderr.on('data', (d: Buffer) => {
          err += d;
          if (/running \d+ entries/.test(err)) resolve();
        });
        void exited.then(() => resolve());
      });
      expect(err).toMatch(/running \d+ entries/);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  }
});
