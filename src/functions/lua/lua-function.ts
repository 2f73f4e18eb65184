import { readFile } from 'node:fs/promises';
import type { FunctionEntry } from '../../config/entry-types.ts';
import { childLogger } from '../../util/logger.ts';
import type { KindEnv, LoadedFunction } from '../../kinds/kind-descriptors.ts';
import type { Handler, HandlerContext } from '../handler.ts';
import { LuaHandlerError, LuaStoppedError } from './lua-errors.ts';
import { DEFAULT_LUA_TIMEOUT_MS, luaFunctionOptionsSchema } from './lua-options.ts';
import { LuaStatePool } from './lua-pool.ts';
import type { LuaOutcome } from './lua-state.ts';
import { readLuaSource } from './lua-source.ts';
import { luaErrorText } from './lua-values.ts';

let bootstrap: Promise<string> | undefined;

/** A loaded Lua function plus its pool, for tests and figures. */
export interface LoadedLuaFunction extends LoadedFunction {
  readonly pool: LuaStatePool;
}

/**
 * Loads a `function.lua` entry: reads its files, builds the first Lua state
 * (so a syntax error or a bad `require` is a `ConfigError` now) and returns
 * the handler.
 *
 * The handler acks on a normal return, and throws {@link LuaHandlerError}
 * (so the consumer nacks) on `return nil, err` or a raised error, the
 * latter also logged with the message ID. A call past its limit throws
 * {@link LuaStoppedError}. It returns (or throws) synchronously when the
 * script finished without yielding, and a promise otherwise: like any
 * handler, call it with `await`.
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
  const pool = await LuaStatePool.create({
    entry,
    bootstrap: boot,
    prelude,
    main,
    modules: options.modules,
    ...(options.method === undefined ? {} : { method: options.method }),
    limitMs,
    loadLogger: childLogger(env.logger, { function: entry.id }),
  });

  /** Ack with the value, or throw so the consumer nacks. */
  const settle = (outcome: LuaOutcome, ctx: HandlerContext): unknown => {
    switch (outcome.kind) {
      case 'ack':
        return outcome.value;
      case 'nack':
        throw new LuaHandlerError(luaErrorText(outcome.error), outcome.error, false);
      case 'raised': {
        const message = luaErrorText(outcome.error);
        ctx.logger.error('lua handler raised an error', { function: entry.id, message_id: ctx.message.id, error: message });
        throw new LuaHandlerError(message, outcome.error, true);
      }
      case 'stopped':
        throw new LuaStoppedError(entry.id, outcome.reason, limitMs);
    }
  };

  // Not async: a call that did not yield settles in this turn, and the
  // consumer, which awaits only thenables, skips the microtask hops.
  const handler: Handler = (body, ctx) => {
    const outcome = pool.run(body, ctx);
    return outcome instanceof Promise ? outcome.then((o) => settle(o, ctx)) : settle(outcome, ctx);
  };

  return { handler, pool, close: async () => pool.close() };
}
