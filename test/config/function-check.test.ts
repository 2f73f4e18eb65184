import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load-config.ts';
import type { FunctionEntry } from '../../src/config/entry-types.ts';
import type { Registry } from '../../src/config/registry.ts';
import { checkFunctions } from '../../src/functions/check-functions.ts';
import { jsFunctionKind } from '../../src/functions/js-function-kind.ts';
import { luaFunctionKind } from '../../src/functions/lua/lua-kind.ts';
import type { KindCatalog } from '../../src/kinds/kind-descriptors.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { configErrorOf, testKinds } from './helpers.ts';

const kinds: KindCatalog = { drivers: testKinds.drivers, functions: new Map([jsFunctionKind, luaFunctionKind].map((k) => [k.kind, k])) };
const env = { logger: silentLogger };

let dir: string;
const marker = () => join(dir, 'marker.txt');
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'actorq-check-'));
  const files: Record<string, string> = {
    'side-effect.mjs': `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(join(dir, 'marker.txt'))}, 'ran');\nexport default async () => {};\n`,
    'never-settles.mjs': 'await new Promise(() => {});\nexport default async () => {};\n',
    'broken.mjs': 'export default function (body {\n',
    'data.mjs': 'export default { not: "a function" };\nexport const n = 1;\n',
    'named.mjs': 'export function run() {}\nconst helper = () => 1;\nexport { helper as alias };\nexport const answer = 42, label = `x`;\n',
    'dynamic.mjs': 'const make = () => () => 1;\nexport default make();\nexport let later;\n',
    'reexport.mjs': "export * from './named.mjs';\n",
    'chain.mjs': 'const a = b;\nconst b = c;\nfunction c() {}\nexport default a;\n',
    'script.cjs': 'return;\nmodule.exports = 42;\n',
    'plain.js': 'module.exports = function () {};\n',
    'handler.ts': 'export default (x: number): number => x;\n',
    'loop.lua': '-- loops at load\nwhile true do end\nreturn function(body) return body end\n',
    'bad.lua': '-- a syntax error on line 4\nreturn function(body)\n  return body +\nend\n',
    'prelude.lua': 'x = 1\n',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  mkdirSync(join(dir, 'esm'));
  writeFileSync(join(dir, 'esm', 'package.json'), '{ "type": "module" }');
  writeFileSync(join(dir, 'esm', 'obj.js'), 'export default 5;\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function registry(entries: string): Registry {
  return parseConfigText(`namespace: app\nentries:\n${entries}`, join(dir, 'handlers.yaml'), { kinds });
}
const js = (source: string, method?: string) => `  - name: h\n    kind: function.js\n    source: file://${source}\n${method ? `    method: ${method}\n` : ''}`;
const entryOf = (text: string) => registry(text).entries.get('app:h') as FunctionEntry;
const checkJs = (source: string, method?: string) => jsFunctionKind.check(entryOf(js(source, method)), env);

describe('function.js check runs nothing', () => {
  it('a module with top-level side effects is parsed, not run', async () => {
    await checkJs('side-effect.mjs');
    expect(existsSync(marker())).toBe(false);
  });

  it('a top-level await that never settles does not hold the check up', async () => {
    await expect(checkJs('never-settles.mjs')).resolves.toBeUndefined();
  });

  it('reports a syntax error with the handler file, line and column', async () => {
    const e = await configErrorOf(() => checkJs('broken.mjs'));
    expect(e.issues).toEqual([expect.objectContaining({ line: 3, entryId: 'app:h', field: 'source', message: expect.stringMatching(/^syntax error in .*broken\.mjs:1:31: Unexpected token$/) })]);
  });

  it.each([
    ['a default export that is an object', 'data.mjs', undefined, 'source', /data\.mjs has no default export function \(got object\); it exports no function$/],
    ['no default export', 'named.mjs', undefined, 'source', /named\.mjs has no default export function \(got nothing\); its function exports: run, alias \(set method: to pick one\)$/],
    ['a method that is a number', 'named.mjs', 'answer', 'method', /export "answer" of .*named\.mjs is not a function \(got number\); its function exports: run, alias$/],
    ['a method that is a string', 'named.mjs', 'label', 'method', /\(got string\)/],
    ['a missing method', 'named.mjs', 'nope', 'method', /export "nope" of .*named\.mjs is not a function \(got nothing\)/],
    ['a .js default export under "type": "module"', 'esm/obj.js', undefined, 'source', /obj\.js has no default export function \(got number\)/],
  ])('reports %s, as load would', async (_, source, method, field, message) => {
    const e = await configErrorOf(() => checkJs(source, method));
    expect(e.issues).toEqual([expect.objectContaining({ entryId: 'app:h', field, message: expect.stringMatching(message) })]);
  });

  it.each([
    ['a named export', 'named.mjs', 'run'],
    ['an export renamed from a local function', 'named.mjs', 'alias'],
    ['a value only running can tell', 'dynamic.mjs', undefined],
    ['a let export', 'dynamic.mjs', 'later'],
    ['names re-exported with export *', 'reexport.mjs', 'anything'],
    ['a const bound to a function through other names', 'chain.mjs', undefined],
    ['CommonJS with top-level return', 'script.cjs', undefined],
    ['a .js file without module syntax', 'plain.js', undefined],
    ['a file Node needs a loader for', 'handler.ts', undefined],
  ])('accepts %s', async (_, source, method) => {
    await expect(checkJs(source, method)).resolves.toBeUndefined();
  });
});

describe('function.lua check compiles, never runs', () => {
  const lua = (source: string, extra = '') => `  - name: h\n    kind: function.lua\n    source: file://${source}\n    timeout: 0\n${extra}`;

  it('a script that loops forever at load passes at once', async () => {
    const started = performance.now();
    await luaFunctionKind.check(entryOf(lua('loop.lua')), env);
    // Not a speed assertion: a run of the chunk would never return at all (timeout: 0).
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('reports a syntax error at its Lua line, and every bad file of the entry', async () => {
    const e = await configErrorOf(() => luaFunctionKind.check(entryOf(lua('bad.lua', '    prelude: [file://prelude.lua, file://gone.lua, file://../x.lua]\n')), env));
    expect(e.issues.map((i) => [i.file, i.line, i.field, i.message])).toEqual([
      [expect.stringMatching(/handlers\.yaml$/), 3, 'prelude[1]', expect.stringMatching(/gone\.lua: file not found$/)],
      [expect.stringMatching(/handlers\.yaml$/), 3, 'prelude[2]', expect.stringMatching(/x\.lua is outside /)],
      [expect.stringMatching(/bad\.lua$/), 4, 'source', expect.stringMatching(/^Lua syntax error: bad\.lua:4: unexpected symbol near 'end'$/)],
    ]);
  });
});

describe('checkFunctions', () => {
  it('collects the problems of every function into one ConfigError, running none', async () => {
    const r = registry(`${js('side-effect.mjs').replace('name: h', 'name: a')}${js('broken.mjs').replace('name: h', 'name: b')}${js('data.mjs').replace('name: h', 'name: c')}`);
    const e = await configErrorOf(() => checkFunctions(r, { kinds }));
    expect(e.issues.map((i) => i.entryId)).toEqual(['app:b', 'app:c']);
    expect(existsSync(marker())).toBe(false);
  });

  it('reports a kind missing from the catalog and a check that throws something else', async () => {
    const r = registry(js('named.mjs', 'run'));
    const broken: KindCatalog = {
      drivers: kinds.drivers,
      functions: new Map([['function.js', { ...jsFunctionKind, check: async () => Promise.reject(new Error('parser crashed')) }]]),
    };
    expect((await configErrorOf(() => checkFunctions(r, { kinds: { drivers: kinds.drivers, functions: new Map() } }))).issues[0]).toMatchObject({ entryId: 'app:h', field: 'kind' });
    expect((await configErrorOf(() => checkFunctions(r, { kinds: broken }))).issues[0]).toMatchObject({ entryId: 'app:h', message: 'cannot be checked: parser crashed' });
    await expect(checkFunctions(r, { kinds })).resolves.toBeUndefined();
  });
});
