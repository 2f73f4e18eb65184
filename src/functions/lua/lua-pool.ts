import type { RemoteCall } from './lua-remote-call.ts';
import { LuaState, type LuaOutcome, type LuaStateSpec } from './lua-state.ts';

/**
 * The Lua states of one function inside one isolate. A call takes an idle
 * state or, when all are busy, creates one, so the pool grows to the most
 * calls ever running at once in the isolate (the consumers' `concurrency`
 * bounds that) and never puts two calls in one state. Each state loads the
 * files once, so globals a script sets live per state, as in Wippy's pools.
 * @internal
 */
export class LuaStatePool {
  readonly #spec: LuaStateSpec;
  /** Called as each call enters its state (after any wait for a new state). */
  onCallStart: ((ctx: RemoteCall) => void) | undefined;
  readonly #idle: LuaState[] = [];
  readonly #all = new Set<LuaState>();
  #closed = false;

  private constructor(spec: LuaStateSpec) {
    this.#spec = spec;
  }

  /** Creates the pool with one state loaded, so load errors surface now. */
  static async create(spec: LuaStateSpec): Promise<LuaStatePool> {
    const pool = new LuaStatePool(spec);
    const first = await LuaState.create(spec);
    pool.#all.add(first);
    pool.#idle.push(first);
    return pool;
  }

  /** States in existence (busy and idle). */
  get size(): number {
    return this.#all.size;
  }

  /** States waiting for a call. */
  get idle(): number {
    return this.#idle.length;
  }

  /**
   * Runs one call on a state of its own: synchronously when a state is
   * idle and the script does not yield, else as a promise. A closed pool
   * rejects. `deadline`: see {@link LuaState.call}.
   */
  run(body: unknown, ctx: RemoteCall, deadline?: number): LuaOutcome | Promise<LuaOutcome> {
    if (this.#closed) return Promise.reject(new Error(`lua function ${this.#spec.entry.id} is closed`));
    const state = this.#idle.pop();
    if (state === undefined) return this.#grow().then((grown) => this.#runOn(grown, body, ctx, deadline));
    return this.#runOn(state, body, ctx, deadline);
  }

  #runOn(state: LuaState, body: unknown, ctx: RemoteCall, deadline: number | undefined): LuaOutcome | Promise<LuaOutcome> {
    let result: LuaOutcome | Promise<LuaOutcome>;
    this.onCallStart?.(ctx);
    try {
      result = state.call(body, ctx, deadline);
    } catch (e) {
      this.#putBack(state);
      throw e;
    }
    if (!(result instanceof Promise)) {
      this.#putBack(state);
      return result;
    }
    return result.finally(() => this.#putBack(state));
  }

  /** Returns a state after a call, or discards it (stopped mid-call, or the pool closed meanwhile). */
  #putBack(state: LuaState): void {
    if (state.retired || this.#closed) {
      this.#all.delete(state);
      state.close();
    } else {
      this.#idle.push(state);
    }
  }

  /** Closes idle states now and busy ones when their calls end. */
  close(): void {
    this.#closed = true;
    for (const state of this.#idle) {
      this.#all.delete(state);
      state.close();
    }
    this.#idle.length = 0;
  }

  async #grow(): Promise<LuaState> {
    const state = await LuaState.create(this.#spec);
    this.#all.add(state);
    return state;
  }
}
