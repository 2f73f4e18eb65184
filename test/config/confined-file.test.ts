import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FunctionEntry } from '../../src/config/entry-types.ts';
import { readConfinedFile, resolveConfinedFile } from '../../src/config/confined-file.ts';
import { parseConfigText, type LoadConfigOptions } from '../../src/config/load-config.ts';
import { configErrorOf, testKinds } from './helpers.ts';

// Layout: <dir>/outside.txt (a secret), <dir>/cfg/handlers.yaml with its files, <dir>/cfg/sub/.
let dir: string;
let cfg: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'actorq-confine-'));
  cfg = join(dir, 'cfg');
  mkdirSync(join(cfg, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'outside.txt'), 'SECRET\n');
  writeFileSync(join(cfg, 'ok.lua'), 'return 1\n');
  writeFileSync(join(cfg, 'sub', 'deep.lua'), 'return 2\n');
  writeFileSync(join(cfg, 'latin1.lua'), Buffer.from([0x2d, 0x2d, 0x20, 0xe9, 0x0a]));
  writeFileSync(join(cfg, 'big.lua'), Buffer.alloc(2048, 0x20));
  symlinkSync(join(dir, 'outside.txt'), join(cfg, 'escape.lua'));
  symlinkSync('sub/deep.lua', join(cfg, 'inner-link.lua'));
  symlinkSync('/dev/zero', join(cfg, 'zero.lua'));
  execFileSync('mkfifo', [join(cfg, 'pipe.lua')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A function entry written in `cfg/handlers.yaml` at line 3, field `source`. */
function entry(source: string, options: LoadConfigOptions = {}): FunctionEntry {
  const text = `namespace: app\nentries:\n  - name: h\n    kind: function.js\n    source: "${source}"\n`;
  return parseConfigText(text, join(cfg, 'handlers.yaml'), { kinds: testKinds, ...options }).entries.get('app:h') as FunctionEntry;
}

async function refusal(source: string, options?: LoadConfigOptions): Promise<string> {
  const error = await configErrorOf(() => readConfinedFile(entry(source, options), source, 'source'));
  expect(error.issues).toHaveLength(1);
  expect(error.issues[0]).toMatchObject({ line: 3, entryId: 'app:h', field: 'source' });
  expect(error.message).toMatch(/handlers\.yaml:3: entry app:h field source: /);
  expect(error.message).not.toContain('\n');
  expect(error.message).not.toContain('SECRET');
  return error.issues[0]!.message;
}

describe('confined files', () => {
  it('reads files inside the YAML directory, below it and through symlinks that stay inside', async () => {
    expect((await readConfinedFile(entry('file://ok.lua'), 'file://ok.lua', 'source')).text).toBe('return 1\n');
    expect((await readConfinedFile(entry('file://sub/deep.lua'), 'file://sub/deep.lua', 'source')).text).toBe('return 2\n');
    const linked = await resolveConfinedFile(entry('file://inner-link.lua'), 'file://inner-link.lua', 'source');
    expect(linked.realPath).toMatch(/sub[/\\]deep\.lua$/);
    const absolute = `file://${join(cfg, 'ok.lua')}`;
    expect((await readConfinedFile(entry(absolute), absolute, 'source')).size).toBe(9);
  });

  it('refuses a path leading outside the directory', async () => {
    expect(await refusal('file://../outside.txt')).toMatch(/outside\.txt is outside .*cfg \(the YAML file's directory; set root to allow more\)$/);
    expect(await refusal('file://../../../../../../../../etc/passwd')).toMatch(/^\/etc\/passwd is outside /);
    expect(await refusal(`file://${join(dir, 'outside.txt')}`)).toMatch(/is outside /);
  });

  it('refuses a symlink leading outside', async () => {
    expect(await refusal('file://escape.lua')).toMatch(/escape\.lua leads through a symlink to .*outside\.txt, outside /);
  });

  it('refuses /dev/zero, a directory and a FIFO without blocking', async () => {
    expect(await refusal('file:///dev/zero')).toMatch(/^\/dev\/zero is outside /);
    expect(await refusal('file:///dev/zero', { root: '/' })).toMatch(/^\/dev\/zero: not a regular file \(it is a character device\)$/);
    expect(await refusal('file://zero.lua', { root: '/' })).toMatch(/zero\.lua: not a regular file \(it is a character device\)$/);
    expect(await refusal('file://sub')).toMatch(/sub: not a regular file \(it is a directory\)$/);
    expect(await refusal('file://pipe.lua')).toMatch(/pipe\.lua: not a regular file \(it is a FIFO\)$/);
  });

  it('refuses a file over the size limit before reading it', async () => {
    expect(await refusal('file://big.lua', { maxFileBytes: 2047 })).toMatch(/big\.lua: 2 KiB, over the size limit of 2047 bytes$/);
    expect((await readConfinedFile(entry('file://big.lua', { maxFileBytes: 2048 }), 'file://big.lua', 'source')).text).toHaveLength(2048);
  });

  it('refuses a missing file, bad URLs and text that is not UTF-8', async () => {
    expect(await refusal('file://nope.lua')).toMatch(/nope\.lua: file not found$/);
    expect(await refusal('file://%E0%A4%A.lua')).toMatch(/is not a valid URL/);
    expect(await refusal('file://latin1.lua')).toMatch(/latin1\.lua line 1: not valid UTF-8 text/);
  });

  it('a root widens what may be read, and narrows it too', async () => {
    expect((await readConfinedFile(entry('file://../outside.txt', { root: dir }), 'file://../outside.txt', 'source')).text).toBe('SECRET\n');
    expect(await refusal('file://ok.lua', { root: join(cfg, 'sub') })).toMatch(/ok\.lua is outside .*sub \(root\)$/);
    expect(await refusal('file://ok.lua', { root: join(dir, 'missing') })).toMatch(/is outside|cannot be used/);
  });
});
