import type { RemoteCall } from './lua-remote-call.ts';

let lastToken = 0;

/**
 * What a Lua state knows about the handler call it is running. One per
 * call; the state holds at most one at a time, which is what lets the
 * bridge and the debug hook find "the current call" without arguments.
 * A class with plain fields: one is made per message.
 * @internal
 */
export class LuaCall {
  /** Distinguishes this call's message objects from those of earlier calls. */
  readonly token: number;
  /** Absent while the state loads its files (no message then). */
  readonly ctx: RemoteCall | undefined;
  /** Epoch ms after which the call is stopped (`Infinity` for none). */
  readonly deadline: number;
  /** When the script last got the CPU, for time slicing. */
  sliceStart: number;
  /** Set once the call must stop; the hook and the run loop honour it. */
  stopped: 'timeout' | 'signal' | undefined;

  /**
   * `deadline` (epoch ms) is when the main thread sent the call plus its
   * limit; without one the limit counts from now.
   */
  constructor(ctx: RemoteCall | undefined, limitMs: number, deadline?: number) {
    const now = Date.now();
    this.token = ++lastToken;
    this.ctx = ctx;
    this.deadline = deadline ?? (limitMs > 0 ? now + limitMs : Infinity);
    this.sliceStart = now;
    this.stopped = undefined;
  }
}

/** Marks the call stopped if the main thread asked it to stop or its deadline passed. @internal */
export function checkStopped(call: LuaCall, now = Date.now()): boolean {
  if (call.stopped === undefined) {
    // A flag, not `ctx.signal.aborted`: the hook asks this every thousand instructions.
    if (call.ctx?.aborted) call.stopped = 'signal';
    else if (now >= call.deadline) call.stopped = 'timeout';
  }
  return call.stopped !== undefined;
}
