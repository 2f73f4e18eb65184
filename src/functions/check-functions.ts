import { ConfigError, type ConfigIssue } from '../errors/config-error.ts';
import { builtinKinds } from '../kinds/builtin-kinds.ts';
import type { KindCatalog } from '../kinds/kind-descriptors.ts';
import { childLogger, silentLogger, type Logger } from '../util/logger.ts';
import { isFunctionEntry, type Registry } from '../config/registry.ts';
import { unknownKindMessage } from '../config/validate-entry.ts';
import { locationOf } from './load-functions.ts';

/** Options of {@link checkFunctions}. */
export interface CheckFunctionsOptions {
  /** @default builtinKinds */
  readonly kinds?: KindCatalog;
  /** Given to each kind's `check`, bound to the function's ID. @default silentLogger */
  readonly logger?: Logger;
}

/**
 * Checks every `function.*` entry through its kind's `check`, running none
 * of their code: files exist, stay inside their root, are regular files
 * within the size limit, parse (JavaScript) or compile (Lua), and export
 * the handler where the text shows it. A handler's top-level side effects
 * do not happen, and a module that would never finish loading does not
 * hold this up. Every problem of every function is collected into one
 * `ConfigError`.
 *
 * @throws ConfigError naming each failing entry, its file, line and field.
 * @example
 * ```ts
 * const registry = await loadConfig(['config/'])
 * await checkFunctions(registry)          // what `actorq validate` does
 * ```
 */
export async function checkFunctions(registry: Registry, options: CheckFunctionsOptions = {}): Promise<void> {
  const kinds = options.kinds ?? builtinKinds;
  const logger = options.logger ?? silentLogger;
  const entries = [...registry.entries.values()].filter(isFunctionEntry);
  const results = await Promise.allSettled(
    entries.map(async (entry) => {
      const kind = kinds.functions.get(entry.kind);
      if (!kind) throw new ConfigError([{ ...locationOf(entry), field: 'kind', message: unknownKindMessage(entry.kind, kinds) }]);
      await kind.check(entry, { logger: childLogger(logger, { function: entry.id }) });
    }),
  );
  const issues: ConfigIssue[] = [];
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return;
    if (result.reason instanceof ConfigError) issues.push(...result.reason.issues);
    else issues.push({ ...locationOf(entries[i]!), message: `cannot be checked: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}` });
  });
  if (issues.length > 0) throw new ConfigError(issues);
}
