import { ActorqError } from '../../errors/actorq-error.ts';
import { formatByteSize } from '../../util/byte-size.ts';

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

  /**
   * The `retry_after` field of a table error (`return nil, { retry_after = '30s' }`):
   * the delay the script asks for before the next delivery, read by the
   * consumer as any error's `retryAfter`.
   */
  get retryAfter(): unknown {
    const v = this.value;
    return typeof v === 'object' && v !== null ? (v as { retry_after?: unknown }).retry_after : undefined;
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

/**
 * A Lua handler call ran out of memory: the function's Lua heap reached
 * its `memory_limit` (the script's allocation failed with "not enough
 * memory"), or its isolate's JavaScript heap reached its limit. The
 * message is nacked; the isolate is replaced so the next call starts with
 * an empty heap. Code `MEMORY_LIMIT`.
 */
export class LuaMemoryError extends ActorqError {
  constructor(functionId: string, limitBytes: number, detail: string) {
    super('MEMORY_LIMIT', `lua function ${functionId} ran out of memory (memory_limit ${formatByteSize(limitBytes)}): ${detail}`);
  }
}

/**
 * A Lua handler call was interrupted because its isolate was terminated
 * (another call in it ran past its limit and could not be stopped, or the
 * isolate crashed) after the call had started. The message is nacked and
 * retried like any failure; a call that had not started is instead sent
 * to another isolate and never sees this. Code `ISOLATE_LOST`, retryable.
 */
export class LuaIsolateLostError extends ActorqError {
  constructor(functionId: string, reason: string) {
    super('ISOLATE_LOST', `lua function ${functionId}: the call was interrupted, its isolate was terminated (${reason})`, { retryable: true });
  }
}
