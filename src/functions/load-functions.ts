import { ConfigError, type ConfigIssue } from '../errors/config-error.ts';
import { builtinKinds } from '../kinds/builtin-kinds.ts';
import type { KindCatalog, LoadedFunction } from '../kinds/kind-descriptors.ts';
import { childLogger, silentLogger, type Logger } from '../util/logger.ts';
import type { FunctionEntry } from '../config/entry-types.ts';
import { isFunctionEntry, type Registry } from '../config/registry.ts';
import { unknownKindMessage } from '../config/validate-entry.ts';

/** Options of {@link loadFunctions}. */
export interface LoadFunctionsOptions {
  /** @default builtinKinds */
  readonly kinds?: KindCatalog;
  /** Given to each kind's `load`, bound to the function's ID. @default silentLogger */
  readonly logger?: Logger;
}

/**
 * Loads every `function.*` entry through its kind (for `function.js`:
 * imports the module and finds the handler), all at once. A missing file,
 * a syntax error or a missing export is a configuration problem, found now
 * rather than on the first message; every failure is collected into one
 * `ConfigError`, and the functions that did load are closed again.
 *
 * @throws ConfigError naming each failing entry, its file, line and field.
 * @example
 * ```ts
 * const functions = await loadFunctions(registry, { logger })
 * await functions.get('app.queue:task_handler')!.handler(body, ctx)
 * ```
 */
export async function loadFunctions(registry: Registry, options: LoadFunctionsOptions = {}): Promise<Map<string, LoadedFunction>> {
  const kinds = options.kinds ?? builtinKinds;
  const logger = options.logger ?? silentLogger;
  const entries = [...registry.entries.values()].filter(isFunctionEntry);

  const results = await Promise.allSettled(
    entries.map(async (entry) => {
      const kind = kinds.functions.get(entry.kind);
      if (!kind) throw new ConfigError([{ ...locationOf(entry), field: 'kind', message: unknownKindMessage(entry.kind, kinds) }]);
      return kind.load(entry, { logger: childLogger(logger, { function: entry.id }) });
    }),
  );

  const loaded = new Map<string, LoadedFunction>();
  const issues: ConfigIssue[] = [];
  results.forEach((result, i) => {
    const entry = entries[i]!;
    if (result.status === 'fulfilled') loaded.set(entry.id, result.value);
    else if (result.reason instanceof ConfigError) issues.push(...result.reason.issues);
    else issues.push({ ...locationOf(entry), message: `failed to load: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}` });
  });
  if (issues.length === 0) return loaded;

  // Nothing will use the functions that did load; free what they hold before failing.
  await Promise.allSettled([...loaded.values()].map((f) => f.close?.()));
  throw new ConfigError(issues);
}

function locationOf(entry: FunctionEntry): ConfigIssue {
  return { file: entry.file, line: entry.line, entryId: entry.id, message: '' };
}
