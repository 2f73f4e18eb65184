import { resolve } from 'node:path';
import type { ConfigIssue } from '../errors/config-error.ts';
import type { KindCatalog } from '../kinds/kind-descriptors.ts';
import type { Logger } from '../util/logger.ts';
import { buildRegistry } from './build-registry.ts';
import { DEFAULT_MAX_FILE_BYTES } from './confined-file.ts';
import { readRegistryFiles } from './discover-files.ts';
import type { Registry } from './registry.ts';

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
  /** Told (at debug level) about YAML files skipped in directories because they are not registry files. */
  readonly logger?: Logger;
}

/**
 * Reads registry files and directories (the registry files directly in a
 * directory, sorted; subdirectories are not read, and YAML files that are
 * not registry files are skipped), validates every entry and checks references,
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
  const maxBytes = maxFileBytesOf(options);
  const { sources, issues } = await readRegistryFiles(paths, { maxBytes, ...(options?.logger ? { logger: options.logger } : {}) });
  return buildRegistry(sources, options, issues);
}

/** The size limit, checked: a caller passing nonsense gets told at once. */
function maxFileBytesOf(options: LoadConfigOptions | undefined): number {
  const max = options?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxFileBytes must be a positive whole number of bytes, got ${String(max)}`);
  return max;
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
  maxFileBytesOf(options);
  const abs = file === '<inline>' ? file : resolve(file);
  return buildRegistry([{ file, abs, text }], options);
}
