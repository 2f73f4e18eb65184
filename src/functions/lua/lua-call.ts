import type { HandlerContext } from '../handler.ts';

/**
 * What a Lua state knows about the handler call it is running. One per
 * call; the state holds at most one at a time, which is what lets the
 * bridge and the debug hook find "the current call" without arguments.
 * @internal
 */
export interface LuaCall {
  /** Distinguishes this call's message objects from those of earlier calls. */
  readonly token: number;
  /** Absent while the state loads its files (no message then). */
  readonly ctx: HandlerContext | undefined;
  /**
   * `ctx.signal`, read only when needed: a consumer makes the signal on
   * first use, and most calls end before anything looks at it.
   */
  readonly signal: AbortSignal | undefined;
  /** Epoch ms after which the call is stopped (`Infinity` for none). */
  readonly deadline: number;
  /** When the script last got the CPU, for time slicing. */
  sliceStart: number;
  /** Set once the call must stop; the hook and the run loop honour it. */
  stopped?: 'timeout' | 'signal';
}

let lastToken = 0;

/**
 * Starts a call record. `deadline` (epoch ms) is when the main thread
 * started the call plus its limit; without one the limit counts from now.
 * @internal
 */
export function newLuaCall(ctx: HandlerContext | undefined, limitMs: number, deadline?: number): LuaCall {
  const now = Date.now();
  return {
    token: ++lastToken,
    ctx,
    get signal() {
      return ctx?.signal;
    },
    deadline: deadline ?? (limitMs > 0 ? now + limitMs : Infinity),
    sliceStart: now,
  };
}

/** Marks the call stopped if its signal aborted or its deadline passed. @internal */
export function checkStopped(call: LuaCall, now = Date.now()): boolean {
  if (call.stopped === undefined) {
    if (call.signal?.aborted) call.stopped = 'signal';
    else if (now >= call.deadline) call.stopped = 'timeout';
  }
  return call.stopped !== undefined;
}
