import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FunctionEntry } from '../../src/config/entry-types.ts';
import { loadFunctions } from '../../src/functions/load-functions.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { jsFunctionKind } from '../../src/functions/js-function-kind.ts';
import type { FunctionKind, KindCatalog } from '../../src/kinds/kind-descriptors.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { configErrorOf, testKinds } from './helpers.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'actorq-js-'));
  await writeFile(join(dir, 'default.mjs'), 'export default (body) => ({ doubled: body.n * 2 });\n');
  await writeFile(join(dir, 'named.mjs'), 'export function run(body) { return `ran ${body}`; }\nexport const answer = 42;\n');
  await writeFile(join(dir, 'data.mjs'), 'export default { not: "a function" };\n');
  await writeFile(join(dir, 'broken.mjs'), 'export default function (body {\n');
  await writeFile(join(dir, 'throws.mjs'), 'throw new Error("boom at import");\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A function.js entry as the loader would produce it for `handlers.yaml` in the temp dir. */
function entry(source: string, method?: string): FunctionEntry {
  const file = join(dir, 'handlers.yaml');
  const text = `namespace: app\nentries:\n  - name: h\n    kind: function.js\n    source: ${source}\n${method ? `    method: ${method}\n` : ''}`;
  return parseConfigText(text, file, { kinds: testKinds }).entries.get('app:h') as FunctionEntry;
}
const load = (e: FunctionEntry) => jsFunctionKind.load(e, { logger: silentLogger });

describe('function.js', () => {
  it('loads the default export, relative to the YAML file directory', async () => {
    const { handler } = await load(entry('file://default.mjs'));
    expect(await handler({ n: 21 }, {} as never)).toEqual({ doubled: 42 });
  });

  it('loads the export named by method, and absolute sources', async () => {
    const { handler } = await load(entry(`file://${join(dir, 'named.mjs')}`, 'run'));
    expect(await handler('x', {} as never)).toBe('ran x');
  });

  it.each([
    ['a missing file', () => entry('file://nope.mjs'), 'source', /nope\.mjs: file not found$/],
    ['a default export that is not a function', () => entry('file://data.mjs'), 'source', /data\.mjs has no default export function \(got object\); it exports no function$/],
    ['no default export but other functions', () => entry('file://named.mjs'), 'source', /named\.mjs has no default export function \(got nothing\); its function exports: run \(set method: to pick one\)$/],
    ['a method that is not a function', () => entry('file://named.mjs', 'answer'), 'method', /export "answer" of .*named\.mjs is not a function \(got number\); its function exports: run$/],
    ['a missing method', () => entry('file://named.mjs', 'runn'), 'method', /export "runn" of .*named\.mjs is not a function \(got nothing\)/],
    ['a syntax error', () => entry('file://broken.mjs'), 'source', /^cannot import .*broken\.mjs: /],
    ['a module throwing at import', () => entry('file://throws.mjs'), 'source', /^cannot import .*throws\.mjs: boom at import$/],
  ])('reports %s as a ConfigError on its entry', async (_, make, field, message) => {
    const e = await configErrorOf(() => load(make()));
    expect(e.issues).toEqual([{ file: expect.stringMatching(/handlers\.yaml$/), line: 3, entryId: 'app:h', field, message: expect.stringMatching(message) }]);
    expect(e.message).toMatch(/handlers\.yaml:3: entry app:h field /);
  });
});

describe('loadFunctions', () => {
  const two = (a: string, b: string) =>
    parseConfigText(`namespace: app\nentries:\n  - name: a\n    kind: function.js\n    source: ${a}\n  - name: b\n    kind: function.js\n    source: ${b}\n`, join(dir, 'two.yaml'), { kinds: testKinds });

  it('loads every function entry by ID', async () => {
    const loaded = await loadFunctions(two('file://default.mjs', 'file://default.mjs'), { kinds: testKinds });
    expect([...loaded.keys()]).toEqual(['app:a', 'app:b']);
  });

  it('collects every failure into one ConfigError', async () => {
    const e = await configErrorOf(() => loadFunctions(two('file://gone.mjs', 'file://data.mjs'), { kinds: testKinds }));
    expect(e.issues.map((i) => [i.entryId, i.line, i.field])).toEqual([['app:a', 3], ['app:b', 6]].map(([id, l]) => [id, l, 'source']));
  });

  it('closes what did load when another fails, and reports non-config errors with the entry', async () => {
    const closed: string[] = [];
    const flaky: FunctionKind = {
      kind: 'function.js',
      schema: jsFunctionKind.schema,
      check: async () => undefined,
      async load(entry) {
        if (entry.name === 'b') throw new Error('interpreter crashed');
        return { handler: () => undefined, close: async () => void closed.push(entry.id) };
      },
    };
    const kinds: KindCatalog = { drivers: testKinds.drivers, functions: new Map([[flaky.kind, flaky]]) };
    const e = await configErrorOf(() => loadFunctions(two('file://x.mjs', 'file://y.mjs'), { kinds }));
    expect(e.issues).toEqual([{ file: join(dir, 'two.yaml'), line: 6, entryId: 'app:b', message: 'failed to load: interpreter crashed' }]);
    expect(closed).toEqual(['app:a']);
  });

  it('reports a function kind missing from the catalog', async () => {
    const registry = two('file://default.mjs', 'file://default.mjs');
    const e = await configErrorOf(() => loadFunctions(registry, { kinds: { drivers: testKinds.drivers, functions: new Map() } }));
    expect(e.issues.map((i) => [i.entryId, i.field])).toEqual([['app:a', 'kind'], ['app:b', 'kind']]);
  });
});
