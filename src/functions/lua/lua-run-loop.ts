import { LuaReturn, type LuaThread } from 'wasmoon';
import { checkStopped, type LuaCall } from './lua-call.ts';
import type { LuaRaw } from './lua-raw.ts';

/** How a run of a Lua coroutine ended. @internal */
export type LuaRunResult =
  | { readonly kind: 'ok'; /** Values returned, on top of the thread's stack. */ readonly count: number }
  | { readonly kind: 'error' /** The error value is on top of the stack. */ }
  | { readonly kind: 'memory' /** An allocation failed ("not enough memory"): the heap reached its limit. */ }
  | { readonly kind: 'stopped' /** Abandoned while suspended; see `call.stopped`. */ };

/**
 * Resumes `thread` (function and `nargs` arguments already pushed) until
 * it returns, raises, or has to stop.
 *
 * Synchronous when the script finishes without yielding, which is the
 * common case (no publish, no long computation): then no promise is
 * made, and the result joins the isolate's reply to the batch it came
 * in. Otherwise the rest runs in {@link continueLuaThread}.
 * @internal
 */
export function runLuaThread(thread: LuaThread, raw: LuaRaw, nargs: number, call: LuaCall): LuaRunResult | Promise<LuaRunResult> {
  // call.sliceStart was set when the call record was made, just before.
  const status = raw.resume(thread.address, nargs);
  if (status === LuaReturn.Yield) return continueLuaThread(thread, raw, call);
  return ended(status, raw);
}

function ended(status: number, raw: LuaRaw): LuaRunResult {
  if (status === LuaReturn.Ok) return { kind: 'ok', count: raw.resultCount };
  return status === LuaReturn.ErrorMem ? MEMORY : ERROR;
}

const ERROR: LuaRunResult = { kind: 'error' };
const MEMORY: LuaRunResult = { kind: 'memory' };
const STOPPED: LuaRunResult = { kind: 'stopped' };

/**
 * Drives a coroutine that yielded. It yields for two reasons: a promise
 * (`promise:await()` in `bootstrap.lua`, e.g. `queue.publish`), which is
 * awaited, and the debug hook's time slice, which gives the isolate's
 * event loop a turn so its other calls and the main thread's messages
 * (a stop among them) are handled while a script computes. Between turns the call's stop condition is
 * checked; a stopped call is left suspended, and its owner discards the
 * state.
 */
async function continueLuaThread(thread: LuaThread, raw: LuaRaw, call: LuaCall): Promise<LuaRunResult> {
  const L = thread.address;
  let status: number = LuaReturn.Yield;
  while (status === LuaReturn.Yield) {
    if (call.stopped) return STOPPED;
    if (raw.resultCount > 0) {
      const value: unknown = thread.getValue(-1);
      thread.pop(raw.resultCount);
      if (isThenable(value)) await settledOrStopped(value, call);
      else await nextTurn();
    } else {
      await nextTurn();
    }
    if (checkStopped(call)) return STOPPED;
    call.sliceStart = Date.now();
    status = raw.resume(L, 0);
  }
  return ended(status, raw);
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Waits for `promise`, or less if the call's signal aborts or its deadline
 * passes: a publish stuck on a full queue must not outlive the call.
 */
function settledOrStopped(promise: PromiseLike<unknown>, call: LuaCall): Promise<void> {
  const done = () => undefined;
  const signal = call.ctx?.signal;
  if (call.deadline === Infinity && !signal) return Promise.resolve(promise).then(done, done);
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    if (call.deadline !== Infinity) timer = setTimeout(finish, Math.max(0, call.deadline - Date.now()));
    signal?.addEventListener('abort', finish, { once: true });
    promise.then(finish, finish);
  });
}
