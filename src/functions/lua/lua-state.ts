import { LUA_REGISTRYINDEX, LuaEventMasks, LuaType, type LuaEngine, type LuaThread } from 'wasmoon';
import type { FunctionEntry } from '../../config/entry-types.ts';
import type { Logger } from '../../util/logger.ts';
import { createLuaBridge } from './lua-bridge.ts';
import { checkStopped, LuaCall } from './lua-call.ts';
import { createLuaEngine } from './lua-engine.ts';
import { createNativeLog } from './lua-native.ts';
import type { RemoteCall } from './lua-remote-call.ts';
import { LuaRaw, SLOW } from './lua-raw.ts';
import { jsonExact } from './lua-raw-support.ts';
import { runLuaThread, type LuaRunResult } from './lua-run-loop.ts';
import { luaLoadError, type LuaSourceFile } from './lua-load-error.ts';
import { toLuaValue } from './lua-values.ts';

/** Everything a state needs to load a function. @internal */
export interface LuaStateSpec {
  readonly entry: FunctionEntry;
  readonly bootstrap: string;
  readonly prelude: readonly LuaSourceFile[];
  readonly main: LuaSourceFile;
  readonly modules: readonly string[];
  readonly method?: string;
  /** Per-call limit in ms; 0 for none. */
  readonly limitMs: number;
  /** Receives log lines written while files load. */
  readonly loadLogger: Logger;
}

/** How one handler call ended. @internal */
export type LuaOutcome =
  | { readonly kind: 'ack'; readonly value: unknown }
  | { readonly kind: 'nack'; readonly error: unknown }
  | { readonly kind: 'raised'; readonly error: unknown }
  | { readonly kind: 'stopped'; readonly reason: 'timeout' | 'signal' }
  | { readonly kind: 'memory'; readonly error: string };

/** Lua instructions between two runs of the debug hook. */
const HOOK_EVERY = 1000;
/** Longest a script keeps its isolate's event loop before the hook yields it, in ms. */
const SLICE_MS = 20;

/**
 * One Lua state with the function loaded: the sandbox, the modules, the
 * prelude and the script run once, and the handler kept in the registry.
 * Never entered by two calls at once (the pool sees to that), so "the
 * current call" is a plain field the bridge and the hook read.
 *
 * Calls run on one reusable coroutine so that scripts may yield (awaiting a
 * publish) and so that the hook may suspend them (time slice, stop).
 * @internal
 */
export class LuaState {
  readonly #engine: LuaEngine;
  readonly #thread: LuaThread;
  readonly #raw: LuaRaw;
  readonly #limitMs: number;
  #hook = 0;
  #nativeLog = 0;
  #handlerRef = 0n;
  #call: LuaCall | undefined;
  #retired = false;

  private constructor(engine: LuaEngine, limitMs: number) {
    this.#engine = engine;
    this.#limitMs = limitMs;
    this.#raw = new LuaRaw(engine.global.lua);
    const global = engine.global;
    this.#thread = global.newThread();
    // newThread leaves the thread on the main stack; a registry reference keeps it alive instead.
    global.lua.luaL_ref(global.address, LUA_REGISTRYINDEX);
  }

  /** Creates a state and loads the function; load problems are `ConfigError`s. */
  static async create(spec: LuaStateSpec): Promise<LuaState> {
    const state = new LuaState(await createLuaEngine(), spec.limitMs);
    try {
      state.#installHook();
      await state.#load(spec);
      return state;
    } catch (e) {
      state.close();
      throw e;
    }
  }

  /** True once the state must not be reused (a call was stopped mid-way, or closed). */
  get retired(): boolean {
    return this.#retired;
  }

  /**
   * Runs the handler on `body`. Never throws for script failures: see
   * {@link LuaOutcome}. The body goes in and the results come out through
   * {@link LuaRaw} (wasmoon's conversion only for what it leaves alone):
   * this is the per-message path. Synchronous unless the script yields
   * (see `runLuaThread`). `deadline` (epoch ms) replaces "now + limit".
   */
  call(body: unknown, ctx: RemoteCall, deadline?: number): LuaOutcome | Promise<LuaOutcome> {
    const thread = this.#thread;
    const raw = this.#raw;
    const L = thread.address;
    raw.pushRef(L, LUA_REGISTRYINDEX, this.#handlerRef);
    if (!raw.push(L, body)) thread.pushValue(toLuaValue(body));
    const call = (this.#call = new LuaCall(ctx, this.#limitMs, deadline));
    let run: LuaRunResult | Promise<LuaRunResult>;
    try {
      run = runLuaThread(thread, raw, 1, call);
    } catch (e) {
      this.#release();
      throw e;
    }
    if (!(run instanceof Promise)) return this.#outcome(run, call);
    return run.then(
      (r) => this.#outcome(r, call),
      (e: unknown) => {
        this.#release();
        throw e;
      },
    );
  }

  /** Reads how the call ended off the stack, then clears it. */
  #outcome(run: LuaRunResult, call: LuaCall): LuaOutcome {
    const thread = this.#thread;
    const raw = this.#raw;
    const L = thread.address;
    try {
      if (run.kind === 'stopped' || call.stopped) {
        // The coroutine is suspended or dead mid-script; a fresh state is cheaper to trust.
        this.#retired = true;
        return { kind: 'stopped', reason: call.stopped ?? 'timeout' };
      }
      if (run.kind === 'memory') {
        // The state may hold what filled the heap (a global, say): a fresh one starts empty.
        this.#retired = true;
        return { kind: 'memory', error: thread.indexToString(-1) };
      }
      if (run.kind === 'error') {
        const error: unknown = thread.getValue(-1);
        if (typeof error !== 'string') jsonExact.value = false;
        thread.lua.lua_resetthread(L);
        return { kind: 'raised', error };
      }
      // Read the values straight off the stack: every return value survives, not only the first.
      const base = raw.top(L) - run.count;
      if (run.count >= 2 && raw.type(L, base + 2) !== LuaType.Nil) {
        return { kind: 'nack', error: this.#value(base + 2) };
      }
      const value: unknown = run.count >= 1 ? this.#value(base + 1) : undefined;
      return { kind: 'ack', value: value ?? undefined };
    } finally {
      this.#release();
    }
  }

  #release(): void {
    this.#call = undefined;
    if (!this.#retired) this.#raw.setTop(this.#thread.address, 0);
  }

  /** A stack value as JS: the fast reader, else wasmoon's conversion. */
  #value(index: number): unknown {
    const value = this.#raw.read(this.#thread.address, index);
    return value === SLOW ? this.#thread.getValue(index) : value;
  }

  /** Frees the state. Idempotent. */
  close(): void {
    if (this.#engine.global.isClosed()) return;
    this.#retired = true;
    this.#engine.global.close();
    const module = this.#engine.global.lua.module;
    if (this.#hook) module.removeFunction(this.#hook);
    if (this.#nativeLog) module.removeFunction(this.#nativeLog);
    this.#raw.free();
  }

  /**
   * The debug hook runs every {@link HOOK_EVERY} instructions. It stops a
   * call that the main thread asked to stop or whose deadline passed, and
   * yields a script that held the CPU for {@link SLICE_MS}, so that the
   * isolate's other calls and the messages from the main thread (new
   * calls, stops) get a turn. It yields only the call's own coroutine, and
   * only where Lua allows (not inside a C call such as a `table.sort`
   * comparator); elsewhere it raises an error instead. This is the gentle
   * stop, which keeps the isolate; what it cannot reach (a string pattern,
   * a script that swallows the error) ends when the main thread terminates
   * the isolate (see lua-call-limits.ts).
   */
  #installHook(): void {
    const lua = this.#thread.lua;
    this.#hook = lua.module.addFunction((L: number) => {
      const call = this.#call;
      if (!call) return;
      const now = Date.now();
      const canYield = L === this.#thread.address && lua.lua_isyieldable(L) !== 0;
      if (checkStopped(call, now)) {
        // Yielding cannot be caught by a script's pcall, unlike an error.
        if (canYield) lua.lua_yieldk(L, 0, 0, null);
        else {
          lua.lua_pushstring(L, `lua handler stopped (${call.stopped})`);
          lua.lua_error(L);
        }
      } else if (canYield && now - call.sliceStart >= SLICE_MS) {
        lua.lua_yieldk(L, 0, 0, null);
      }
    }, 'vii');
    lua.lua_sethook(this.#thread.address, this.#hook, LuaEventMasks.Count, HOOK_EVERY);
  }

  async #load(spec: LuaStateSpec): Promise<void> {
    const bridge = createLuaBridge(() => this.#call, spec.loadLogger);
    const thread = this.#thread;
    thread.loadString(spec.bootstrap, '=bootstrap');
    thread.pushValue(bridge);
    thread.pushValue([...spec.modules]);
    thread.pushValue(spec.entry.id);
    this.#nativeLog = createNativeLog(this.#engine, this.#raw, bridge.log, bridge.logs);
    thread.lua.lua_pushcclosure(thread.address, this.#nativeLog, 0);
    const boot = await this.#runLoading(4);
    if (boot !== undefined) throw new Error(`lua bootstrap failed: ${boot}`);
    thread.setTop(0);

    for (const file of [...spec.prelude, spec.main]) {
      try {
        thread.loadString(file.code, file.chunkName);
      } catch (e) {
        throw luaLoadError(spec.entry, file, (e as Error).message, 'Lua syntax error');
      }
      const error = await this.#runLoading(0);
      if (error !== undefined) throw luaLoadError(spec.entry, file, error, 'Lua error while loading');
      if (file === spec.main) this.#keepHandler(spec, file);
      thread.setTop(0);
    }
  }

  /** Runs a loaded chunk outside any handler call; returns the error text, if any. */
  async #runLoading(nargs: number): Promise<string | undefined> {
    const call = (this.#call = new LuaCall(undefined, this.#limitMs));
    try {
      const run = await runLuaThread(this.#thread, this.#raw, nargs, call);
      if (run.kind === 'ok') return undefined;
      if (run.kind === 'stopped' || call.stopped) return `stopped after ${this.#limitMs}ms (does the file loop forever?)`;
      return this.#thread.indexToString(-1);
    } finally {
      this.#call = undefined;
    }
  }

  /** Finds the handler among the script's return values and anchors it in the registry. */
  #keepHandler(spec: LuaStateSpec, file: LuaSourceFile): void {
    const thread = this.#thread;
    const lua = thread.lua;
    const L = thread.address;
    const top = thread.getTop();
    const returned = top === 0 ? LuaType.None : lua.lua_type(L, 1);
    const typeName = (t: LuaType) => (t === LuaType.None ? 'nothing' : lua.lua_typename(L, t));
    if (spec.method === undefined) {
      if (returned !== LuaType.Function) {
        throw luaLoadError(spec.entry, file, `the script returned ${typeName(returned)}`, 'expected the script to return the handler function (or set `method`)');
      }
      lua.lua_pushvalue(L, 1);
    } else {
      if (returned !== LuaType.Table) {
        throw luaLoadError(spec.entry, { ...file, field: 'method' }, `the script returned ${typeName(returned)}`, `expected a table with function "${spec.method}"`);
      }
      const field = lua.lua_getfield(L, 1, spec.method);
      if (field !== LuaType.Function) {
        throw luaLoadError(spec.entry, { ...file, field: 'method' }, `field "${spec.method}" is ${typeName(field)}`, 'expected a function');
      }
    }
    this.#handlerRef = BigInt(lua.luaL_ref(L, LUA_REGISTRYINDEX));
  }
}
