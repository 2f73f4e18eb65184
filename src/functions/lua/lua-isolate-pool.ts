import type { FunctionEntry } from '../../config/entry-types.ts';
import type { Logger } from '../../util/logger.ts';
import type { HandlerContext } from '../handler.ts';
import { LuaCallLimits, type LimitsTarget } from './lua-call-limits.ts';
import { LuaIsolate, type IsolateOwner } from './lua-isolate.ts';
import { applyIsolateOps, type OpsTarget } from './lua-isolate-ops.ts';
import { newPendingCall, type PendingCall } from './lua-pending-call.ts';
import { DoneKind, type IsolateInit } from './lua-protocol.ts';

/** A call running this long makes its isolate the last choice for new calls (when there are several). */
const BUSY_MS = 50;

/** Everything a {@link LuaIsolatePool} is built from. @internal */
export interface IsolatePoolOptions {
  readonly entry: FunctionEntry;
  readonly init: Omit<IsolateInit, 'progress'>;
  /** Worker threads, each with its own Lua heap. */
  readonly isolates: number;
  /** The function's per-call limit in ms (0: none). */
  readonly limitMs: number;
  /** Longest the files may take to load in a new isolate. */
  readonly loadLimitMs: number;
  /** The function's logger: lines written while loading, isolate replacements. */
  readonly logger: Logger;
  /** Settles a call's promise for how it ended (a `DoneKind`). */
  readonly settle: (call: PendingCall, kind: number, value: unknown) => void;
}

/**
 * The isolates of one Lua function (see lua-isolate.ts) and the calls
 * they run. A call goes to the isolate holding the fewest; it waits only
 * while no isolate can take it (all being replaced).
 *
 * When an isolate must be terminated (a call past its limit that did not
 * stop by itself, see lua-call-limits.ts), the calls it also held are
 * settled by what they had done: one that had not started yet is sent to
 * another isolate as if nothing happened; one that had started (it was
 * waiting on a publish, or sharing time slices) is nacked with code
 * `ISOLATE_LOST`, since it may have had effects and only its message can
 * be retried. An isolate whose Lua heap reached `memory_limit` is retired
 * instead: it takes no new calls, finishes those it holds, and a fresh
 * isolate takes its place.
 * @internal
 */
export class LuaIsolatePool implements IsolateOwner, OpsTarget, LimitsTarget {
  readonly loadLogger: Logger;
  readonly #o: IsolatePoolOptions;
  /** One place per isolate; undefined while its replacement starts. */
  readonly #isolates: (LuaIsolate | undefined)[];
  /** Replacements being started, by place. */
  readonly #starting = new Map<number, Promise<void>>();
  /** Isolates taking no new calls, finishing those they hold. */
  readonly #retiring = new Set<LuaIsolate>();
  #waiting: PendingCall[] = [];
  readonly #limits: LuaCallLimits;
  #closed = false;
  /** Isolates replaced since the start (terminated, crashed or retired). */
  replaced = 0;

  private constructor(options: IsolatePoolOptions, isolates: LuaIsolate[]) {
    this.#o = options;
    this.loadLogger = options.logger;
    this.#isolates = isolates;
    this.#limits = new LuaCallLimits(this);
  }

  /** Starts every isolate; a load problem of the function rejects with its `ConfigError`. */
  static async create(options: IsolatePoolOptions): Promise<LuaIsolatePool> {
    let pool: LuaIsolatePool | undefined;
    // Until the pool exists only log lines can arrive (written while the files load).
    const loading: OpsTarget = { loadLogger: options.logger, finish() {}, retire() {} };
    const owner: IsolateOwner = {
      onOps: (i, ops) => (pool ? pool.onOps(i, ops) : applyIsolateOps(loading, i, ops)),
      onLost: (i, e) => pool?.onLost(i, e),
    };
    const started = await Promise.allSettled(Array.from({ length: options.isolates }, () => LuaIsolate.start({ ...options, owner })));
    const isolates = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(isolates.map((i) => i.terminate()));
      throw failed.reason;
    }
    pool = new LuaIsolatePool(options, isolates);
    return pool;
  }

  /** Isolates running now (retiring ones included). */
  get size(): number {
    return this.#isolates.filter((i) => i !== undefined).length + this.#retiring.size;
  }

  /** Messages that carried calls to this function's isolates now running (for tests and figures). */
  get batchesSent(): number {
    let sent = 0;
    for (const isolate of this.#isolates) sent += isolate?.batchesSent ?? 0;
    for (const isolate of this.#retiring) sent += isolate.batchesSent;
    return sent;
  }

  get busy(): boolean {
    return this.#waiting.length > 0 || this.#isolates.some((i) => i !== undefined && i.calls.size > 0) || this.#retiring.size > 0;
  }

  /** Runs one call; settles through `settle` (the promise is the handler's result). */
  call(body: unknown, ctx: HandlerContext): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error(`lua function ${this.#o.entry.id} is closed`));
    return new Promise((resolve, reject) => this.#dispatch(newPendingCall(body, ctx, resolve, reject)));
  }

  #dispatch(call: PendingCall): void {
    const now = Date.now();
    const best = this.#isolates.length === 1 ? (this.#isolates[0]?.accepting ? this.#isolates[0] : undefined) : this.#choose(now);
    if (best) {
      const limitMs = this.#o.limitMs;
      call.sentAt = now;
      call.deadline = limitMs > 0 ? now + limitMs : Infinity;
      best.send(call);
    } else {
      this.#waiting.push(call);
      // A place whose replacement failed to start gets another try now that a call needs it.
      this.#isolates.forEach((isolate, place) => {
        if (isolate === undefined && !this.#starting.has(place)) this.#replace(place);
      });
    }
    this.#limits.arm();
  }

  /**
   * The isolate for a new call: the one holding the fewest, but not one
   * whose oldest call has run for {@link BUSY_MS} while another has none
   * such, and among those only, the one whose oldest call is youngest: a
   * call sent behind one that is stuck in a string pattern would wait
   * until that one is ended.
   */
  #choose(now: number): LuaIsolate | undefined {
    let best: LuaIsolate | undefined;
    let bestAge = 0;
    for (const isolate of this.#isolates) {
      if (!isolate?.accepting) continue;
      const oldest = isolate.calls.size === 0 ? undefined : isolate.calls.values().next().value;
      const age = oldest === undefined ? 0 : now - oldest.sentAt;
      if (best === undefined || (age < BUSY_MS ? bestAge >= BUSY_MS || isolate.calls.size < best.calls.size : age < bestAge)) {
        best = isolate;
        bestAge = age;
      }
    }
    return best;
  }

  onOps(isolate: LuaIsolate, ops: unknown[]): void {
    applyIsolateOps(this, isolate, ops);
  }

  finish(isolate: LuaIsolate, call: PendingCall, kind: number, value: unknown): void {
    isolate.remove(call);
    this.#settle(call, kind, value);
    if (isolate.retiring && isolate.calls.size === 0 && this.#retiring.delete(isolate)) void isolate.terminate();
  }

  retire(isolate: LuaIsolate): void {
    const place = this.#isolates.indexOf(isolate);
    if (place < 0) return; // already retired or replaced
    this.#o.logger.warn('lua isolate reached its memory_limit: replacing it', { function: this.#o.entry.id, calls: isolate.calls.size });
    isolate.retiring = true;
    this.replaced++;
    if (isolate.calls.size > 0) this.#retiring.add(isolate);
    else void isolate.terminate();
    this.#replace(place);
  }

  onLost(isolate: LuaIsolate, error: Error): void {
    const outOfMemory = (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
    this.#o.logger.error('lua isolate ended unexpectedly: replacing it', { function: this.#o.entry.id, error: error.message });
    this.#drop(isolate, outOfMemory ? DoneKind.memory : DoneKind.lost, outOfMemory ? "the isolate's JavaScript heap, which holds values on their way into and out of Lua, reached its limit" : error.message);
  }

  forEachRunning(visit: (call: PendingCall) => void): void {
    for (const isolate of this.#isolates) if (isolate) for (const call of isolate.calls.values()) visit(call);
    for (const isolate of this.#retiring) for (const call of isolate.calls.values()) visit(call);
  }

  requestStop(call: PendingCall): void {
    const holder = this.#holder(call);
    if (holder) return holder.stop(call.id);
    // Waiting for an isolate (its own was terminated under it): it ends here.
    const waiting = this.#waiting.indexOf(call);
    if (waiting < 0) return;
    this.#waiting.splice(waiting, 1);
    this.#settle(call, DoneKind.signal, undefined);
  }

  kill(call: PendingCall): void {
    const isolate = this.#holder(call);
    if (!isolate) return;
    this.#o.logger.warn('lua call did not stop within its grace: terminating its isolate', {
      function: this.#o.entry.id,
      message_id: call.ctx.message.id,
      reason: call.stopReason,
    });
    this.#drop(isolate, DoneKind.lost, `another call in its isolate (message ${call.ctx.message.id}) ran past its limit`);
  }

  expireWaiting(): void {
    if (this.#waiting.length === 0) return;
    const kept: PendingCall[] = [];
    for (const call of this.#waiting) {
      // As for running calls, the signal is read from the second sweep on
      // (and once sent, the sweep goes on to watch it).
      if (call.watch > 0 && call.ctx.signal.aborted) this.#settle(call, DoneKind.signal, undefined);
      else {
        call.watch = 1;
        kept.push(call);
      }
    }
    this.#waiting = kept;
  }

  /** Terminates every isolate; calls still running or waiting are settled as closed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#limits.disarm();
    const isolates = [...this.#isolates, ...this.#retiring].filter((i): i is LuaIsolate => i !== undefined);
    this.#isolates.fill(undefined);
    this.#retiring.clear();
    await Promise.all(isolates.map((i) => i.terminate()));
    for (const isolate of isolates) for (const call of [...isolate.calls.values()]) this.#end(isolate, call, DoneKind.closed, undefined);
    for (const call of this.#waiting.splice(0)) this.#settle(call, DoneKind.closed, undefined);
    await Promise.allSettled([...this.#starting.values()]);
  }

  /**
   * Terminates `isolate` now and settles what it held: calls past their
   * limit by their reason, calls not started by sending them elsewhere,
   * the rest with `kind`/`reason`.
   */
  #drop(isolate: LuaIsolate, kind: number, reason: string): void {
    void isolate.terminate();
    this.replaced++;
    this.#retiring.delete(isolate);
    const place = this.#isolates.indexOf(isolate);
    if (place >= 0) this.#replace(place);
    const retry: PendingCall[] = [];
    for (const call of [...isolate.calls.values()]) {
      if (call.stopReason !== undefined) this.#end(isolate, call, call.stopReason === 'timeout' ? DoneKind.timeout : DoneKind.signal, undefined);
      else if (!isolate.started(call)) {
        isolate.remove(call);
        retry.push(call);
      } else this.#end(isolate, call, kind, reason);
    }
    for (const call of retry) this.#dispatch(call);
  }

  /** Settles the call's promise, and stops watching its signal. */
  #settle(call: PendingCall, kind: number, value: unknown): void {
    if (call.onAbort) call.ctx.signal.removeEventListener('abort', call.onAbort);
    this.#o.settle(call, kind, value);
  }

  #end(isolate: LuaIsolate, call: PendingCall, kind: number, value: unknown): void {
    isolate.remove(call);
    this.#settle(call, kind, value);
  }

  /** Starts a new isolate for place `place`; waiting calls go to it once it is ready. */
  #replace(place: number): void {
    this.#isolates[place] = undefined;
    if (this.#closed || this.#starting.has(place)) return;
    const starting = LuaIsolate.start({ ...this.#o, owner: this }).then(
      (isolate) => {
        if (this.#closed) return void isolate.terminate();
        this.#isolates[place] = isolate;
        const waiting = this.#waiting;
        this.#waiting = [];
        for (const call of waiting) this.#dispatch(call);
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.#o.logger.error('lua isolate could not be replaced', { function: this.#o.entry.id, error: message });
        // Nothing else will take them if no isolate is left.
        if (this.#isolates.every((i) => i === undefined)) {
          for (const call of this.#waiting.splice(0)) this.#settle(call, DoneKind.lost, `no isolate could be started: ${message}`);
        }
      },
    );
    this.#starting.set(place, starting);
    void starting.finally(() => this.#starting.delete(place));
  }

  #holder(call: PendingCall): LuaIsolate | undefined {
    for (const isolate of this.#isolates) if (isolate?.calls.get(call.id) === call) return isolate;
    for (const isolate of this.#retiring) if (isolate.calls.get(call.id) === call) return isolate;
    return undefined;
  }
}
