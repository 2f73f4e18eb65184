import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { ConfigIssue } from '../errors/config-error.ts';

/** A registry file to read. @internal */
export interface FoundFile {
  /** Path for messages: as given, or the directory as given joined with the file's relative path. */
  readonly file: string;
  readonly abs: string;
}

const YAML_FILE = /\.ya?ml$/i;
// Hidden entries (.git, editor backups) and installed packages are never registry files.
const SKIPPED = (name: string) => name.startsWith('.') || name === 'node_modules';

/**
 * Expands files and directories into the YAML files to load: a file as
 * given, a directory as every `*.yaml`/`*.yml` below it, recursively, in
 * sorted path order so loading is the same on every machine. A file reached
 * twice is read once. @internal
 */
export async function discoverFiles(paths: readonly string[]): Promise<{ files: FoundFile[]; issues: ConfigIssue[] }> {
  const files: FoundFile[] = [];
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const add = (file: string, abs: string) => {
    if (!seen.has(abs)) seen.add(abs), files.push({ file, abs });
  };
  for (const path of paths) {
    const abs = resolve(path);
    const info = await stat(abs).catch(() => undefined);
    if (!info) {
      issues.push({ file: path, message: 'no such file or directory' });
    } else if (info.isDirectory()) {
      const found = (await walk(abs)).sort(comparePaths);
      if (found.length === 0) issues.push({ file: path, message: 'no *.yaml or *.yml files in this directory' });
      for (const f of found) add(join(path, relative(abs, f)), f);
    } else add(path, abs);
  }
  return { files, issues };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const dirent of await readdir(dir, { withFileTypes: true })) {
    if (SKIPPED(dirent.name)) continue;
    const full = join(dir, dirent.name);
    if (dirent.isDirectory()) out.push(...(await walk(full)));
    else if (dirent.isFile() && YAML_FILE.test(dirent.name)) out.push(full);
  }
  return out;
}

/** Compares segment by segment, by code point, independent of locale. */
function comparePaths(a: string, b: string): number {
  const x = a.split(sep);
  const y = b.split(sep);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length - y.length;
}
