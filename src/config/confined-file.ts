/**
 * Files a configuration names (`source: file://...`, Lua `prelude`) are
 * read only from inside a confinement root: by default the directory of the
 * registry file that names them, or the `root` given to `loadConfig` /
 * `createRuntime` / `--root`. A configuration is data and may come from
 * someone else; it must not turn `file://../../../etc/passwd` or
 * `file:///dev/zero` into something actorq reads, quotes in an error or
 * runs out of memory on.
 *
 * The checks, in order: the path as written stays inside the root; the
 * real path (every symlink resolved) stays inside the real root; the file
 * opened is a regular file (no directory, device, FIFO or socket; it is
 * opened non-blocking so a FIFO cannot stall the open); its size is within
 * the limit, checked before reading, and no more than limit + 1 bytes are
 * ever read, so a file growing meanwhile is caught too. Each refusal is a
 * `ConfigError` naming the file and line of the entry, its ID and field.
 */
import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../errors/config-error.ts';
import type { FunctionEntry } from './entry-types.ts';

/** Largest file a configuration may name, unless `maxFileBytes` says otherwise. @default 10 MiB */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

const FILE_PREFIX = 'file://';
// O_NOFOLLOW: the real path was checked; a symlink swapped in afterwards is refused, not followed.
// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** A file that passed every check. */
export interface ConfinedFile {
  /** Absolute path as written, resolved against the entry's YAML directory. */
  readonly path: string;
  /** The path with every symlink resolved: the one checked, and the one to read or import. */
  readonly realPath: string;
  /** Size in bytes when checked. */
  readonly size: number;
}

/** A confined file with its text. */
export interface ConfinedText extends ConfinedFile {
  /** The content, decoded as UTF-8 (a byte-order mark is dropped). */
  readonly text: string;
}

/** Where confinement applies and how large a file may be. */
export interface Confinement {
  /** Absolute directory every file must stay inside. */
  readonly root: string;
  /** Largest size in bytes. */
  readonly maxBytes: number;
}

/**
 * The confinement of a function entry: its `root` (set by `loadConfig`'s
 * `root` option) or else its YAML file's directory, and its size limit.
 *
 * @example
 * ```ts
 * const { root, maxBytes } = confinementOf(entry)
 * ```
 */
export function confinementOf(entry: FunctionEntry): Confinement {
  return { root: resolve(entry.root ?? entry.base_dir), maxBytes: entry.max_file_bytes ?? DEFAULT_MAX_FILE_BYTES };
}

/**
 * Checks the file a `file://` URL of `entry` names, without reading it:
 * inside the root (also after symlinks), a regular file, within the size
 * limit. Use {@link readConfinedFile} to read it; use this one for a file
 * that something else loads by path (import the returned `realPath`).
 *
 * @param field the entry field that holds the URL (`source`, `prelude[1]`), for errors
 * @throws ConfigError naming the entry, its file and line, and `field`
 * @example
 * ```ts
 * const { realPath } = await resolveConfinedFile(entry, 'file://handler.mjs', 'source')
 * ```
 */
export async function resolveConfinedFile(entry: FunctionEntry, url: string, field: string): Promise<ConfinedFile> {
  const { file, handle } = await openConfined(entry, url, field);
  await handle.close();
  return file;
}

/**
 * Checks the file as {@link resolveConfinedFile} does and reads it as
 * UTF-8, never more than the size limit plus one byte.
 *
 * @throws ConfigError naming the entry, its file and line, and `field`
 * @example
 * ```ts
 * const { text, path } = await readConfinedFile(entry, 'file://task_handler.lua', 'source')
 * ```
 */
export async function readConfinedFile(entry: FunctionEntry, url: string, field: string): Promise<ConfinedText> {
  const { file, handle, fail } = await openConfined(entry, url, field);
  try {
    const { maxBytes } = confinementOf(entry);
    const buffer = Buffer.allocUnsafe(Math.min(file.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) break;
    }
    if (length > maxBytes) fail(`${shown(file.path)} grew past the size limit of ${formatBytes(maxBytes)} while being read`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      return fail(`${shown(file.path)} is not valid UTF-8 text`);
    }
    return { ...file, text };
  } finally {
    await handle.close();
  }
}

interface Opened {
  readonly file: ConfinedFile;
  readonly handle: FileHandle;
  readonly fail: (message: string) => never;
}

async function openConfined(entry: FunctionEntry, url: string, field: string): Promise<Opened> {
  const fail = (message: string): never => {
    throw new ConfigError([{ file: shown(entry.file), line: entry.line, entryId: entry.id, field, message }]);
  };
  const { root, maxBytes } = confinementOf(entry);
  const path = pathOf(url, entry.base_dir, fail);
  const where = `${shown(root)}${entry.root === undefined ? " (the YAML file's directory; set root to allow more)" : ' (root)'}`;
  if (!inside(root, path)) fail(`${shown(path)} is outside ${where}`);

  const realRoot = await realpath(root).catch((e: NodeJS.ErrnoException) => fail(`root ${shown(root)} cannot be used: ${reason(e)}`));
  const realPath = await realpath(path).catch((e: NodeJS.ErrnoException) =>
    fail(e.code === 'ENOENT' ? `${shown(path)}: file not found` : `cannot read ${shown(path)}: ${reason(e)}`),
  );
  if (!inside(realRoot, realPath)) fail(`${shown(path)} leads through a symlink to ${realPath}, outside ${where}`);

  const handle = await open(realPath, OPEN_FLAGS).catch((e: NodeJS.ErrnoException) =>
    fail(e.code === 'ELOOP' ? `${shown(path)} changed into a symlink while being checked` : `cannot open ${shown(path)}: ${reason(e)}`),
  );
  try {
    const info = await handle.stat();
    if (!info.isFile()) fail(`${shown(path)} is not a regular file (it is ${kindOf(info)})`);
    if (info.size > maxBytes) fail(`${shown(path)} is ${formatBytes(info.size)}, over the size limit of ${formatBytes(maxBytes)}`);
    return { file: { path, realPath, size: info.size }, handle, fail };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Absolute path of a `file://` URL; relative ones from the YAML directory. */
function pathOf(url: string, baseDir: string, fail: (message: string) => never): string {
  if (!url.startsWith(FILE_PREFIX)) fail(`expected a file:// URL, got ${JSON.stringify(url)}`);
  let path: string;
  try {
    path = decodeURI(url.slice(FILE_PREFIX.length));
  } catch {
    return fail(`${JSON.stringify(url)} is not a valid URL (bad % escape)`);
  }
  if (path === '') fail('the file:// URL names no file');
  if (path.includes('\0')) fail('the file:// URL contains a NUL character');
  return isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
}

/** Whether `path` is `root` itself or below it (both absolute and normalized). */
function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function kindOf(info: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  return 'something other than a file';
}

function reason(e: NodeJS.ErrnoException): string {
  return e.code ?? e.message;
}

/** `10 MiB` for whole units, `2047 bytes` otherwise, so two sizes never read alike. @internal */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}

/** Paths under the working directory are shown relative to it, as users typed them. @internal */
export function shown(path: string): string {
  if (path === '<inline>') return path;
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
