import type { HandlerContext } from '../handler.ts';

/**
 * One handler call of a Lua function, on the main thread, from the
 * handler being called until it settles: what is needed to send it to an
 * isolate (again, if the first one was lost before it started), to
 * enforce its limits, and to settle the consumer's promise.
 * @internal
 */
export interface PendingCall {
  readonly id: number;
  readonly body: unknown;
  readonly ctx: HandlerContext;
  /**
   * Epoch ms past which it is stopped (`Infinity`: no function limit). Set
   * when it is sent to an isolate: the function's `timeout` counts the time
   * it runs, not time spent waiting for an isolate to be replaced (the
   * consumer's `timeout` counts everything).
   */
  deadline: number;
  /** When it was sent to its isolate (epoch ms). */
  sentAt: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Its index in the isolate's progress array, while it is in one. */
  slot: number;
  /** Set once it must stop: its signal aborted or its deadline passed. */
  stopReason: 'timeout' | 'signal' | undefined;
  /** Epoch ms at which its isolate is terminated if it has not ended (`Infinity`: not yet due). */
  killAt: number;
  /** 0: not looked at yet; 1: seen running by one sweep; 2: its signal is watched. */
  watch: number;
  /** The listener on its signal, while watched (removed when it settles). */
  onAbort: (() => void) | undefined;
}

let lastId = 0;

/** A call record (made once per message; plain assignment keeps one shape). @internal */
export function newPendingCall(body: unknown, ctx: HandlerContext, resolve: (value: unknown) => void, reject: (error: unknown) => void): PendingCall {
  return {
    id: ++lastId,
    body,
    ctx,
    deadline: Infinity,
    sentAt: 0,
    resolve,
    reject,
    slot: -1,
    stopReason: undefined,
    killAt: Infinity,
    watch: 0,
    onAbort: undefined,
  };
}
