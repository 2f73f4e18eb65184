import type { PendingCall } from './lua-pending-call.ts';

/** How often running calls are looked at, in ms. */
export const SWEEP_MS = 25;
/**
 * How long a call that must stop has to end by itself before its isolate
 * is terminated. Inside the isolate a stop takes effect between two Lua
 * instructions, and the answer needs one turn of each thread; a call that
 * is not back by then is stuck where Lua cannot interrupt it (a string
 * pattern, a `table.sort`, a coroutine the script keeps resuming).
 */
export const STOP_GRACE_MS = 100;

/** What the sweep reaches of the pool. @internal */
export interface LimitsTarget {
  /** Every call held by an isolate, with its isolate's key. */
  forEachRunning(visit: (call: PendingCall) => void): void;
  /** Asks the isolate holding `call` to stop it (its signal aborted). */
  requestStop(call: PendingCall): void;
  /** `call` is past its kill time: terminate its isolate. */
  kill(call: PendingCall): void;
  /** Calls waiting for an isolate; the sweep settles those whose signal aborted. */
  expireWaiting(): void;
  /** Whether anything is left to watch. */
  readonly busy: boolean;
}

/**
 * Enforces the two limits of every call of one function with one interval
 * timer, running only while calls are in flight:
 *
 * - the function's `timeout`: past its deadline a call is marked, the
 *   isolate (which knows the deadline too) stops it itself, and if it is
 *   not back {@link STOP_GRACE_MS} later the isolate is terminated;
 * - the consumer's signal (its `timeout`, or shutdown): a call still
 *   running at its second sweep gets its `ctx.signal` read and watched,
 *   so a quick call never makes the consumer build one; when it aborts
 *   the isolate is asked to stop the call, with the same grace.
 *
 * Why a sweep: a timer per message would cost on every message, and a
 * kill needs no better than {@link SWEEP_MS} precision.
 * @internal
 */
export class LuaCallLimits {
  readonly #target: LimitsTarget;
  #timer: NodeJS.Timeout | undefined;

  constructor(target: LimitsTarget) {
    this.#target = target;
  }

  /** Starts sweeping, if it is not already. */
  arm(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#sweep(), SWEEP_MS);
    // A running call keeps its isolate referenced; the sweep itself never holds the process.
    this.#timer.unref();
  }

  /** Stops sweeping. */
  disarm(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Marks `call` stopped for its signal and asks its isolate to stop it. */
  stopForSignal(call: PendingCall, now = Date.now()): void {
    if (call.stopReason !== undefined) return;
    call.stopReason = 'signal';
    call.killAt = now + STOP_GRACE_MS;
    this.#target.requestStop(call);
  }

  #sweep(): void {
    const target = this.#target;
    const now = Date.now();
    const due: PendingCall[] = [];
    target.forEachRunning((call) => {
      if (call.stopReason === undefined) {
        if (now >= call.deadline) {
          call.stopReason = 'timeout';
          call.killAt = call.deadline + STOP_GRACE_MS;
        } else if (call.watch === 0) {
          call.watch = 1;
        } else if (call.watch === 1) {
          call.watch = 2;
          this.#watch(call, now);
        }
      }
      if (call.killAt <= now) due.push(call);
    });
    for (const call of due) target.kill(call);
    target.expireWaiting();
    if (!target.busy) this.disarm();
  }

  #watch(call: PendingCall, now: number): void {
    const signal = call.ctx.signal;
    if (signal.aborted) return this.stopForSignal(call, now);
    call.onAbort = () => this.stopForSignal(call);
    signal.addEventListener('abort', call.onAbort, { once: true });
  }
}
