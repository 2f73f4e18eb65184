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
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../errors/config-error.ts';
import { openBounded, readBounded } from './bounded-read.ts';
import type { FunctionEntry } from './entry-types.ts';

/** Largest file a configuration may name, unless `maxFileBytes` says otherwise. @default 10 MiB */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

const FILE_PREFIX = 'file://';

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
  const { path, realPath, fail } = await checkPath(entry, url, field);
  const opened = await openBounded(realPath, { maxBytes: confinementOf(entry).maxBytes, noFollow: true });
  if (!opened.ok) return fail(`${shown(path)}: ${opened.message}`);
  await opened.handle.close();
  return { path, realPath, size: opened.size };
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
  const { path, realPath, fail } = await checkPath(entry, url, field);
  const read = await readBounded(realPath, { maxBytes: confinementOf(entry).maxBytes, noFollow: true });
  if (!read.ok) return fail(`${shown(path)}${read.line ? ` line ${read.line}` : ''}: ${read.message}`);
  return { path, realPath, size: read.size, text: read.text };
}

interface Checked {
  readonly path: string;
  readonly realPath: string;
  readonly fail: (message: string) => never;
}

/** The checks on the path: inside the root as written and after symlinks. */
async function checkPath(entry: FunctionEntry, url: string, field: string): Promise<Checked> {
  const fail = (message: string): never => {
    throw new ConfigError([{ file: shown(entry.file), line: entry.line, entryId: entry.id, field, message }]);
  };
  const { root } = confinementOf(entry);
  const path = pathOf(url, entry.base_dir, fail);
  const where = `${shown(root)}${entry.root === undefined ? " (the YAML file's directory; set root to allow more)" : ' (root)'}`;
  if (!inside(root, path)) fail(`${shown(path)} is outside ${where}`);

  const realRoot = await realpath(root).catch((e: NodeJS.ErrnoException) => fail(`root ${shown(root)} cannot be used: ${e.code ?? e.message}`));
  const realPath = await realpath(path).catch((e: NodeJS.ErrnoException) =>
    fail(`${shown(path)}: ${e.code === 'ENOENT' ? 'file not found' : `cannot read: ${e.code ?? e.message}`}`),
  );
  if (!inside(realRoot, realPath)) fail(`${shown(path)} leads through a symlink to ${shown(realPath)}, outside ${where}`);
  return { path, realPath, fail };
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

/** Paths under the working directory are shown relative to it, as users typed them. @internal */
export function shown(path: string): string {
  if (path === '<inline>') return path;
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
