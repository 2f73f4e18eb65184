import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ConfigIssue } from '../errors/config-error.ts';
import type { KindCatalog } from '../kinds/kind-descriptors.ts';
import { buildRegistry } from './build-registry.ts';
import { discoverFiles } from './discover-files.ts';
import type { Registry } from './registry.ts';
import type { SourceText } from './yaml-source.ts';

/** Options of {@link loadConfig} and {@link parseConfigText}. */
export interface LoadConfigOptions {
  /**
   * Kinds to accept.
   * @default builtinKinds
   */
  readonly kinds?: KindCatalog;
  /**
   * IDs of functions supplied in code (`createRuntime({ functions })`); a
   * consumer's `func` or a `requires` item may name them.
   */
  readonly extraFunctionIds?: Iterable<string>;
  /**
   * Directory every `file://` source and prelude must stay inside. By
   * default each entry's files must stay inside the directory of the YAML
   * file that names them.
   */
  readonly root?: string;
  /**
   * Largest file (handler source, prelude, registry file) actorq reads, in bytes.
   * @default 10 MiB
   */
  readonly maxFileBytes?: number;
}

/**
 * Reads registry files and directories (every `*.yaml`/`*.yml` inside,
 * recursively, sorted), validates every entry and checks references,
 * duplicate IDs and dependency cycles. Function sources are not imported
 * here; see `loadFunctions`.
 *
 * @throws ConfigError listing every problem, each with file, line, entry and field.
 * @example
 * ```ts
 * const registry = await loadConfig(['config/'], { extraFunctionIds: ['app:handler'] })
 * ```
 */
export async function loadConfig(paths: readonly string[], options?: LoadConfigOptions): Promise<Registry> {
  const { files, issues } = await discoverFiles(paths);
  const sources: SourceText[] = [];
  const unreadable: ConfigIssue[] = [...issues];
  for (const f of files) {
    try {
      sources.push({ ...f, text: await readFile(f.abs, 'utf8') });
    } catch (e) {
      unreadable.push({ file: f.file, message: `cannot read file: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
    }
  }
  return buildRegistry(sources, options, unreadable);
}

/**
 * Validates one registry document given as text, with the same checks as
 * {@link loadConfig}. `file` names it in errors; relative `file://` sources
 * resolve from its directory (from the working directory for `<inline>`).
 *
 * @throws ConfigError listing every problem.
 * @example
 * ```ts
 * const registry = parseConfigText('namespace: app\nentries: []\n', '<inline>')
 * ```
 */
export function parseConfigText(text: string, file: string, options?: LoadConfigOptions): Registry {
  const abs = file === '<inline>' ? file : resolve(file);
  return buildRegistry([{ file, abs, text }], options);
}
