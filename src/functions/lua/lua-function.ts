import { readFile } from 'node:fs/promises';
import { ActorqError } from '../../errors/actorq-error.ts';
import type { FunctionEntry } from '../../config/entry-types.ts';
import { childLogger } from '../../util/logger.ts';
import type { KindEnv, LoadedFunction } from '../../kinds/kind-descriptors.ts';
import type { Handler } from '../handler.ts';
import { LuaHandlerError, LuaIsolateLostError, LuaMemoryError, LuaStoppedError } from './lua-errors.ts';
import { LuaIsolatePool } from './lua-isolate-pool.ts';
import { DEFAULT_LUA_MEMORY_LIMIT, DEFAULT_LUA_TIMEOUT_MS, luaFunctionOptionsSchema } from './lua-options.ts';
import type { PendingCall } from './lua-pending-call.ts';
import { DoneKind } from './lua-protocol.ts';
import { readLuaSource } from './lua-source.ts';
import { luaErrorText } from './lua-values.ts';

/**
 * Longest a new isolate may take to load the files (run the prelude and
 * the script's top level), or the function's `timeout` and a second when
 * that is longer. Within it, each file is also stopped (softly) at the
 * function's `timeout`, as a call would be.
 */
export const LUA_LOAD_LIMIT_MS = 10_000;

let bootstrap: Promise<string> | undefined;

/** A loaded Lua function plus its isolates, for tests and figures. */
export interface LoadedLuaFunction extends LoadedFunction {
  readonly pool: LuaIsolatePool;
}

/**
 * Loads a `function.lua` entry: reads its files and starts its isolates
 * (worker threads, each loading the files into Lua states of its own), so
 * a syntax error or a bad `require` is a `ConfigError` now.
 *
 * The handler returns a promise. It acks on a normal return, and rejects
 * with {@link LuaHandlerError} (so the consumer nacks) on `return nil, err`
 * or a raised error, the latter also logged with the message ID. A call
 * past its limit rejects with {@link LuaStoppedError}; one that ran out of
 * memory with {@link LuaMemoryError}; one whose isolate was terminated
 * under it with {@link LuaIsolateLostError}.
 *
 * @example
 * ```ts
 * const fn = await loadLuaFunction(entry, { logger })
 * await fn.handler({ id: 1 }, ctx)
 * await fn.close?.()
 * ```
 */
export async function loadLuaFunction(entry: FunctionEntry, env: KindEnv): Promise<LoadedLuaFunction> {
  // The config loader validated the options already; parsing again applies defaults for direct callers.
  const options = luaFunctionOptionsSchema.parse(entry.options);
  const preludeUrls = options.prelude === undefined ? [] : [options.prelude].flat();
  const [main, prelude, boot] = await Promise.all([
    readLuaSource(entry, options.source, 'source'),
    Promise.all(preludeUrls.map((url, i) => readLuaSource(entry, url, Array.isArray(options.prelude) ? `prelude[${i}]` : 'prelude'))),
    (bootstrap ??= readFile(new URL('./bootstrap.lua', import.meta.url), 'utf8')),
  ]);
  const limitMs = options.timeout ?? DEFAULT_LUA_TIMEOUT_MS;
  const memoryLimit = options.memory_limit ?? DEFAULT_LUA_MEMORY_LIMIT;
  const logger = childLogger(env.logger, { function: entry.id });

  /** Settles the handler's promise for how the call ended. */
  const settle = (call: PendingCall, kind: number, value: unknown): void => {
    switch (kind) {
      case DoneKind.ack:
        return call.resolve(value ?? undefined);
      case DoneKind.nack:
        return call.reject(new LuaHandlerError(luaErrorText(value), value, false));
      case DoneKind.raised: {
        const message = luaErrorText(value);
        call.ctx.logger.error('lua handler raised an error', { function: entry.id, message_id: call.ctx.message.id, error: message });
        return call.reject(new LuaHandlerError(message, value, true));
      }
      case DoneKind.timeout:
        return call.reject(new LuaStoppedError(entry.id, 'timeout', limitMs));
      case DoneKind.signal:
        return call.reject(new LuaStoppedError(entry.id, 'signal', limitMs));
      case DoneKind.memory:
        return call.reject(new LuaMemoryError(entry.id, memoryLimit, String(value)));
      case DoneKind.lost:
        return call.reject(new LuaIsolateLostError(entry.id, String(value)));
      default:
        return call.reject(new ActorqError('ABORTED', `lua function ${entry.id} was closed while the call ran`));
    }
  };

  const pool = await LuaIsolatePool.create({
    entry,
    init: {
      spec: {
        entry,
        bootstrap: boot,
        prelude,
        main,
        modules: options.modules,
        ...(options.method === undefined ? {} : { method: options.method }),
        limitMs,
      },
      memoryLimit,
    },
    isolates: options.isolates ?? 1,
    limitMs,
    loadLimitMs: Math.max(LUA_LOAD_LIMIT_MS, limitMs + 1000),
    logger,
    settle,
  });

  const handler: Handler = (body, ctx) => pool.call(body, ctx);
  return { handler, pool, close: () => pool.close() };
}
