import { ConfigError, type ConfigIssue } from '../errors/config-error.ts';
import { builtinKinds } from '../kinds/builtin-kinds.ts';
import type { FunctionKind, KindCatalog, LoadedFunction } from '../kinds/kind-descriptors.ts';
import { childLogger, silentLogger, type Logger } from '../util/logger.ts';
import { shown } from '../config/confined-file.ts';
import type { FunctionEntry } from '../config/entry-types.ts';
import { isFunctionEntry, type Registry } from '../config/registry.ts';
import { unknownKindMessage } from '../config/validate-entry.ts';

/**
 * Time one function's code may take to load (a module's top level, a Lua
 * script's chunk) before loading counts as failed. The same as a driver's
 * or consumer's default `start_timeout`.
 *
 * @default 10000
 */
export const DEFAULT_FUNCTION_LOAD_TIMEOUT_MS = 10_000;

/** Options of {@link loadFunctions} and {@link loadFunction}. */
export interface LoadFunctionsOptions {
  /** @default builtinKinds */
  readonly kinds?: KindCatalog;
  /** Given to each kind's `load`, bound to the function's ID. @default silentLogger */
  readonly logger?: Logger;
  /**
   * Time limit for each function's loading, in ms; `0` for none.
   * @default DEFAULT_FUNCTION_LOAD_TIMEOUT_MS
   */
  readonly timeoutMs?: number;
  /** Stops waiting (the loads fail) when aborted, e.g. by a stop during start. */
  readonly signal?: AbortSignal;
}

/**
 * Loads every `function.*` entry through its kind, RUNNING its code (for
 * `function.js`: imports the module, so its top-level code runs). Use
 * `checkFunctions` to find problems without running anything.
 *
 * Each function gets `timeoutMs`; one still loading then fails naming the
 * function and the limit (a function that finishes later is closed at
 * once). Every failure is collected into one `ConfigError`, and the
 * functions that did load are closed again.
 *
 * @throws ConfigError naming each failing entry, its file, line and field.
 * @example
 * ```ts
 * const functions = await loadFunctions(registry, { logger, timeoutMs: 5000 })
 * await functions.get('app.queue:task_handler')!.handler(body, ctx)
 * ```
 */
export async function loadFunctions(registry: Registry, options: LoadFunctionsOptions = {}): Promise<Map<string, LoadedFunction>> {
  const entries = [...registry.entries.values()].filter(isFunctionEntry);
  const results = await Promise.allSettled(entries.map((entry) => loadFunction(entry, options)));

  const loaded = new Map<string, LoadedFunction>();
  const issues: ConfigIssue[] = [];
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') loaded.set(entries[i]!.id, result.value);
    else issues.push(...(result.reason as ConfigError).issues);
  });
  if (issues.length === 0) return loaded;

  // Nothing will use the functions that did load; free what they hold before failing.
  await Promise.allSettled([...loaded.values()].map((f) => f.close?.()));
  throw new ConfigError(issues);
}

/**
 * Loads one function entry (running its code) within the time limit; see
 * {@link loadFunctions}.
 *
 * @throws ConfigError naming the entry; every failure, expected or not, is one
 * @example
 * ```ts
 * const fn = await loadFunction(entry, { timeoutMs: consumer.lifecycle.start_timeout })
 * ```
 */
export async function loadFunction(entry: FunctionEntry, options: LoadFunctionsOptions = {}): Promise<LoadedFunction> {
  const kind = kindOf(entry, options.kinds ?? builtinKinds);
  const timeoutMs = options.timeoutMs ?? DEFAULT_FUNCTION_LOAD_TIMEOUT_MS;
  try {
    const loading = kind.load(entry, { logger: childLogger(options.logger ?? silentLogger, { function: entry.id }) });
    return await withinLimit(loading, entry, timeoutMs, options.signal);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError([{ ...locationOf(entry), message: `failed to load: ${e instanceof Error ? e.message : String(e)}` }]);
  }
}

/** The load, or a ConfigError once the limit passes or the signal aborts; a load finishing late is closed. */
function withinLimit(loading: Promise<LoadedFunction>, entry: FunctionEntry, timeoutMs: number, signal: AbortSignal | undefined): Promise<LoadedFunction> {
  if (timeoutMs <= 0 && !signal) return loading;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const giveUp = (message: string): void => {
      if (!finish()) return;
      reject(new ConfigError([{ ...locationOf(entry), field: 'source', message }]));
    };
    const onAbort = (): void => giveUp('loading was cancelled (the runtime is stopping)');
    const timer =
      timeoutMs > 0
        ? setTimeout(() => giveUp(`function ${entry.id} did not finish loading within ${formatMs(timeoutMs)} (does its top-level code wait forever or loop?)`), timeoutMs)
        : undefined;
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    loading.then(
      (fn) => {
        if (finish()) resolve(fn);
        // Given up on already: nobody will call it, so free what it holds.
        else void Promise.resolve(fn.close?.()).catch(() => undefined);
      },
      (e: unknown) => {
        if (finish()) reject(e);
      },
    );
  });
}

function kindOf(entry: FunctionEntry, kinds: KindCatalog): FunctionKind {
  const kind = kinds.functions.get(entry.kind);
  if (!kind) throw new ConfigError([{ ...locationOf(entry), field: 'kind', message: unknownKindMessage(entry.kind, kinds) }]);
  return kind;
}

/** Where the entry is written, for issues. @internal */
export function locationOf(entry: FunctionEntry): ConfigIssue {
  return { file: shown(entry.file), line: entry.line, entryId: entry.id, message: '' };
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
