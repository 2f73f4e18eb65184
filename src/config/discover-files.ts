import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import type { ConfigIssue } from '../errors/config-error.ts';
import type { Logger } from '../util/logger.ts';
import { readBounded } from './bounded-read.ts';
import type { SourceText } from './yaml-source.ts';

/** A registry file to read. @internal */
export interface FoundFile {
  /** Path for messages: as given, or the directory as given joined with the file's name. */
  readonly file: string;
  readonly abs: string;
  /** Found in a directory (not named): read only when it is a registry file. */
  readonly inDirectory: boolean;
}

const YAML_FILE = /\.ya?ml$/i;
// Hidden files (editor backups, .github workflows) are never registry files.
const SKIPPED = (name: string) => name.startsWith('.');

/**
 * Expands files and directories into the YAML files to consider. A file
 * named is taken as given. A directory gives its own `*.yaml`/`*.yml`
 * files, in sorted order so loading is the same on every machine, and
 * none of its subdirectories: a folder of fixtures, examples or invalid
 * cases below a configuration is not part of it; name each directory to
 * load. A file reached twice is read once. @internal
 */
export async function discoverFiles(paths: readonly string[]): Promise<{ files: FoundFile[]; issues: ConfigIssue[] }> {
  const files: FoundFile[] = [];
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const add = (file: string, abs: string, inDirectory: boolean) => {
    if (!seen.has(abs)) seen.add(abs), files.push({ file, abs, inDirectory });
  };
  for (const path of paths) {
    const abs = resolve(path);
    const info = await stat(abs).catch(() => undefined);
    if (!info) {
      issues.push({ file: path, message: 'no such file or directory' });
    } else if (info.isDirectory()) {
      const names = (await readdir(abs, { withFileTypes: true }))
        .filter((d) => !SKIPPED(d.name) && YAML_FILE.test(d.name) && (d.isFile() || d.isSymbolicLink()))
        .map((d) => d.name)
        .sort(byCodePoint);
      if (names.length === 0) issues.push({ file: path, message: 'no *.yaml or *.yml files in this directory (subdirectories are not read: name each one)' });
      for (const name of names) add(join(path, name), join(abs, name), true);
    } else add(path, abs, false);
  }
  return { files, issues };
}

/** Options of {@link readRegistryFiles}. @internal */
export interface ReadRegistryOptions {
  /** Largest file read, in bytes. */
  readonly maxBytes: number;
  /** Told (at debug level) about YAML files in a directory that are not registry files. */
  readonly logger?: Logger;
}

/**
 * Reads the registry files among `paths` (see {@link discoverFiles}). A
 * YAML file found in a directory that is plainly something else (its top
 * level is not a mapping with `namespace` or `entries`: a
 * `docker-compose.yml`, a `pnpm-lock.yaml`, an empty file) is skipped with
 * a debug log line. One that cannot be told apart (a YAML syntax error, or
 * only one of the two keys) is kept, so a broken registry file is reported
 * rather than silently left out. A file named on its own is always read.
 * @internal
 */
export async function readRegistryFiles(paths: readonly string[], options: ReadRegistryOptions): Promise<{ sources: SourceText[]; issues: ConfigIssue[] }> {
  const { files, issues } = await discoverFiles(paths);
  const sources: SourceText[] = [];
  for (const f of files) {
    const read = await readBounded(f.abs, { maxBytes: options.maxBytes });
    if (!read.ok) {
      issues.push({ file: f.file, ...(read.line ? { line: read.line } : {}), message: `cannot read the file: ${read.message}` });
    } else if (f.inDirectory && !mayBeRegistryFile(read.text)) {
      options.logger?.debug('skipped a YAML file that is not a registry file (no namespace or entries at the top level)', { file: f.file });
    } else sources.push({ file: f.file, abs: f.abs, text: read.text });
  }
  for (const path of paths) {
    // A directory whose every YAML file was skipped loads nothing: say so rather than run an empty configuration.
    const dirFiles = files.filter((f) => f.inDirectory && resolve(path) === resolve(f.abs, '..'));
    if (dirFiles.length > 0 && !dirFiles.some((f) => sources.some((s) => s.abs === f.abs)) && !issues.some((i) => dirFiles.some((f) => f.file === i.file))) {
      issues.push({ file: path, message: `no registry files in this directory (YAML with namespace and entries at the top level); skipped: ${dirFiles.map((f) => f.file).join(', ')}` });
    }
  }
  return { sources, issues };
}

/** False only for YAML that parses and whose top level is not a mapping holding `namespace` or `entries`. */
export function mayBeRegistryFile(text: string): boolean {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return true;
  const root = doc.contents;
  return isMap(root) && (root.has('namespace') || root.has('entries'));
}

/** Compares by code point, independent of locale. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
