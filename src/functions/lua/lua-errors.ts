import { ActorqError } from '../../errors/actorq-error.ts';

/**
 * A Lua handler failed: it returned a second value that is not nil
 * (`return nil, err`) or raised an error. Thrown to the consumer, which
 * nacks. Not an {@link ActorqError}: the failure belongs to the user's script.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof LuaHandlerError && e.raised) console.error(e.message) }
 * ```
 */
export class LuaHandlerError extends Error {
  /** The Lua error value, converted to JS. */
  readonly value: unknown;
  /** `true` for `error(...)`, `false` for `return nil, err`. */
  readonly raised: boolean;

  constructor(message: string, value: unknown, raised: boolean) {
    super(message);
    this.name = 'LuaHandlerError';
    this.value = value;
    this.raised = raised;
  }
}

/**
 * A Lua handler call was stopped before it finished: its time limit passed
 * (`HANDLER_TIMEOUT`) or `ctx.signal` aborted (`ABORTED`).
 */
export class LuaStoppedError extends ActorqError {
  constructor(functionId: string, reason: 'timeout' | 'signal', limitMs: number) {
    super(
      reason === 'timeout' ? 'HANDLER_TIMEOUT' : 'ABORTED',
      reason === 'timeout'
        ? `lua function ${functionId} stopped: ran past its ${limitMs}ms limit`
        : `lua function ${functionId} stopped: the handler's signal aborted`,
    );
  }
}
