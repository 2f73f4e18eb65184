import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load-config.ts';
import type { FunctionEntry } from '../../src/config/entry-types.ts';
import type { Registry } from '../../src/config/registry.ts';
import { DEFAULT_FUNCTION_LOAD_TIMEOUT_MS, loadFunction, loadFunctions } from '../../src/functions/load-functions.ts';
import { jsFunctionKind } from '../../src/functions/js-function-kind.ts';
import type { FunctionKind, KindCatalog, LoadedFunction } from '../../src/kinds/kind-descriptors.ts';
import { configErrorOf, testKinds } from './helpers.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'actorq-load-'));
  writeFileSync(join(dir, 'never-settles.mjs'), 'await new Promise(() => {});\nexport default async () => {};\n');
  writeFileSync(join(dir, 'ok.mjs'), 'export default async (body) => body;\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function registry(...sources: string[]): Registry {
  const entries = sources.map((s, i) => `  - name: f${i}\n    kind: function.js\n    source: file://${s}\n`).join('');
  return parseConfigText(`namespace: app\nentries:\n${entries}`, join(dir, 'fns.yaml'), { kinds: testKinds });
}

/** A function.js kind whose load waits `ms` and records what was closed. */
function slowKind(ms: number, closed: string[]): KindCatalog {
  const kind: FunctionKind = {
    ...jsFunctionKind,
    load: (entry) =>
      new Promise<LoadedFunction>((resolve) => setTimeout(() => resolve({ handler: () => entry.id, close: async () => void closed.push(entry.id) }), ms)),
  };
  return { drivers: testKinds.drivers, functions: new Map([[kind.kind, kind]]) };
}

describe('loading runs code, within a time limit', () => {
  it('the default limit is 10 s, the default start_timeout', () => {
    expect(DEFAULT_FUNCTION_LOAD_TIMEOUT_MS).toBe(10_000);
  });

  it('a module whose top-level await never settles fails naming the function and the limit', async () => {
    const e = await configErrorOf(() => loadFunctions(registry('ok.mjs', 'never-settles.mjs'), { kinds: testKinds, timeoutMs: 300 }));
    expect(e.issues).toEqual([
      expect.objectContaining({ line: 6, entryId: 'app:f1', field: 'source', message: expect.stringMatching(/^function app:f1 did not finish loading within 300ms /) }),
    ]);
    expect(e.message).toMatch(/fns\.yaml:6: entry app:f1 field source: function app:f1 did not finish loading within 300ms/);
  });

  it('a function that finishes loading after its limit is closed once it does', async () => {
    const closed: string[] = [];
    const entry = registry('a.mjs').entries.get('app:f0') as FunctionEntry;
    await configErrorOf(() => loadFunction(entry, { kinds: slowKind(200, closed), timeoutMs: 50 }));
    await new Promise((r) => setTimeout(r, 400));
    expect(closed).toEqual(['app:f0']);
  });

  it('no limit with timeoutMs 0; a slow load within the limit succeeds', async () => {
    const closed: string[] = [];
    const fns = await loadFunctions(registry('a.mjs', 'b.mjs'), { kinds: slowKind(100, closed), timeoutMs: 0 });
    expect([...fns.keys()]).toEqual(['app:f0', 'app:f1']);
    const entry = registry('a.mjs').entries.get('app:f0') as FunctionEntry;
    expect((await loadFunction(entry, { kinds: slowKind(50, closed), timeoutMs: 5000 })).handler(undefined, {} as never)).toBe('app:f0');
    expect(closed).toEqual([]);
  });

  it('an aborted signal gives up the wait', async () => {
    const closed: string[] = [];
    const controller = new AbortController();
    const entry = registry('a.mjs').entries.get('app:f0') as FunctionEntry;
    const loading = loadFunction(entry, { kinds: slowKind(200, closed), timeoutMs: 0, signal: controller.signal });
    controller.abort();
    const e = await configErrorOf(() => loading);
    expect(e.issues[0]).toMatchObject({ entryId: 'app:f0', message: 'loading was cancelled (the runtime is stopping)' });
    await new Promise((r) => setTimeout(r, 400));
    expect(closed).toEqual(['app:f0']);
  });
});
