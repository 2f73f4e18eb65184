import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.ts';
import { isConsumerEntry, isDriverEntry, isFunctionEntry, isQueueEntry } from '../../src/config/registry.ts';
import { summarizeRegistry } from '../../src/config/summary.ts';
import { configErrorOf, testKinds } from './helpers.ts';

let dir: string;
/** The configuration of these tests: a directory and its subdirectory, each named. */
const cfgDirs = () => [join(dir, 'cfg'), join(dir, 'cfg/sub')];
const write = async (rel: string, text: string) => {
  await mkdir(join(dir, rel, '..'), { recursive: true });
  await writeFile(join(dir, rel), text);
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'actorq-config-'));
  await write('cfg/b.yaml', 'namespace: app\nentries:\n  - name: q\n    kind: queue.queue\n    driver: app:mem\n');
  await write('cfg/a.yml', 'namespace: app\nentries:\n  - name: mem\n    kind: queue.driver.memory\n');
  await write('cfg/sub/c.yaml', 'namespace: app.sub\nentries:\n  - name: c\n    kind: queue.consumer\n    queue: app:q\n    func: app.sub:h\n  - name: h\n    kind: function.js\n    source: file://h.mjs\n');
  await write('cfg/notes.txt', 'not yaml');
  await write('cfg/.hidden/x.yaml', 'this: is: not: loaded');
  await write('cfg/node_modules/pkg/x.yaml', 'neither: [');
  await mkdir(join(dir, 'empty'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('loads the *.yaml/*.yml files directly in each directory named, in sorted order', async () => {
    const r = await loadConfig(cfgDirs(), { kinds: testKinds });
    expect(r.files).toEqual([join(dir, 'cfg/a.yml'), join(dir, 'cfg/b.yaml'), join(dir, 'cfg/sub/c.yaml')]);
    expect([...r.entries.keys()]).toEqual(['app:mem', 'app:q', 'app.sub:c', 'app.sub:h']);
    const h = r.entries.get('app.sub:h')!;
    expect(isFunctionEntry(h) && h.base_dir).toBe(join(dir, 'cfg/sub'));
    expect(h.file).toBe(join(dir, 'cfg/sub/c.yaml'));
  });

  it('does not read subdirectories of a directory', async () => {
    const r = await loadConfig([join(dir, 'cfg')], { kinds: testKinds, extraFunctionIds: [] });
    expect(r.files).toEqual([join(dir, 'cfg/a.yml'), join(dir, 'cfg/b.yaml')]);
  });

  it('loads files and directories together, reading a file reached twice once', async () => {
    const r = await loadConfig([join(dir, 'cfg/sub/c.yaml'), ...cfgDirs()], { kinds: testKinds });
    expect(r.files).toHaveLength(3);
    expect(r.files[0]).toBe(join(dir, 'cfg/sub/c.yaml'));
  });

  it('resolves references across files and summarizes', async () => {
    const r = await loadConfig(cfgDirs(), { kinds: testKinds });
    expect(summarizeRegistry(r)).toBe('4 entries in 3 files: 1 driver, 1 queue, 1 consumer, 1 function');
  });

  it('reports a duplicate ID across files with both files and lines', async () => {
    await write('dup/one.yaml', 'namespace: app\nentries:\n  - name: mem\n    kind: queue.driver.memory\n');
    await write('dup/two.yaml', 'namespace: app\nentries:\n\n  - name: mem\n    kind: queue.driver.memory\n');
    const e = await configErrorOf(() => loadConfig([join(dir, 'dup')], { kinds: testKinds }));
    expect(e.issues).toEqual([{ file: join(dir, 'dup/two.yaml'), line: 4, entryId: 'app:mem', field: 'name', message: `duplicate entry ID app:mem (also defined at ${join(dir, 'dup/one.yaml')}:3)` }]);
  });

  it('keeps the path as given in messages and collects issues from every file', async () => {
    await write('two-bad/x.yaml', 'entries: []\n');
    await write('two-bad/y.yaml', 'namespace: y\nentries:\n  - name: a\n    kind: what\n');
    const e = await configErrorOf(() => loadConfig([join(dir, 'two-bad'), join(dir, 'missing.yaml'), join(dir, 'empty')], { kinds: testKinds }));
    expect(e.issues.map((i) => [i.file, i.line, i.field])).toEqual([
      [join(dir, 'missing.yaml'), undefined, undefined],
      [join(dir, 'empty'), undefined, undefined],
      [join(dir, 'two-bad/x.yaml'), 1, 'namespace'],
      [join(dir, 'two-bad/y.yaml'), 4, 'kind'],
    ]);
    expect(e.issues[0]!.message).toBe('no such file or directory');
    expect(e.issues[1]!.message).toBe('no *.yaml or *.yml files in this directory (subdirectories are not read: name each one)');
  });

  it('returns an empty registry for no paths', async () => {
    const r = await loadConfig([]);
    expect(r.entries.size).toBe(0);
    expect(summarizeRegistry(r)).toBe('0 entries in 0 files');
  });
});

describe('type guards', () => {
  it('narrow by kind', async () => {
    const r = await loadConfig(cfgDirs(), { kinds: testKinds });
    const kinds = [...r.entries.values()].map((e) => [isDriverEntry(e), isQueueEntry(e), isConsumerEntry(e), isFunctionEntry(e)].indexOf(true));
    expect(kinds).toEqual([0, 1, 2, 3]);
  });
});
