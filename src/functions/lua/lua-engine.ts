import { LuaFactory, type LuaEngine } from 'wasmoon';

/** The Lua WebAssembly instance's own exports (`lua_gettop`, `malloc`, `memory`, ...). @internal */
export type LuaWasmExports = Record<string, unknown> & { readonly memory: { readonly buffer: ArrayBufferLike } };

/** The part of the global `WebAssembly` used here (the project's TS libs do not declare it). */
interface WasmGlobal {
  instantiate(...args: unknown[]): Promise<unknown>;
}
type Instantiated = { readonly exports?: Record<string, unknown>; readonly instance?: { readonly exports: Record<string, unknown> } };

let factory: LuaFactory | undefined;
let ready: Promise<void> | undefined;
let wasmExports: LuaWasmExports | undefined;

/**
 * Creates a fresh Lua 5.4 state. All states share one compiled WebAssembly
 * module (one factory per process), so a new state costs a `lua_newstate`
 * and the standard libraries, not a compile.
 *
 * `enableProxy: false` makes JS objects cross as real Lua tables (with it,
 * wasmoon would hand scripts proxies that `pairs` and `#` treat
 * differently), and turns thrown JS errors into values with a message.
 * @internal
 */
export async function createLuaEngine(): Promise<LuaEngine> {
  ready ??= startFactory();
  await ready;
  return factory!.createEngine({ enableProxy: false, injectObjects: false });
}

/**
 * The instance's exports, once the first engine exists; undefined if they
 * could not be captured (then {@link LuaRaw} uses `module._lua_*`).
 * @internal
 */
export function luaWasmExports(): LuaWasmExports | undefined {
  return wasmExports;
}

/**
 * Starts the factory while watching `WebAssembly.instantiate` for the Lua
 * instance, to keep its exports.
 *
 * Why: wasmoon's build is emscripten's debug flavour, whose `module._lua_*`
 * functions wrap each export in a runtime assertion and an `apply`:
 * ~130ns a call, against a few ns for the export itself. The per-message
 * path makes dozens of such calls. The watch passes every call through
 * unchanged, takes only an instance exporting `lua_resume`, and is removed
 * as soon as the factory is ready.
 */
async function startFactory(): Promise<void> {
  const wasm = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;
  const original = wasm.instantiate;
  const watch = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const result = (await original.apply(this, args)) as Instantiated;
    // instantiate(bytes) gives { module, instance }; instantiate(module) gives the instance.
    const exports = result?.instance?.exports ?? result?.exports;
    if (exports && typeof exports.lua_resume === 'function' && typeof exports.memory === 'object') {
      wasmExports ??= exports as LuaWasmExports;
    }
    return result;
  };
  wasm.instantiate = watch;
  try {
    factory = new LuaFactory();
    const lua = await factory.getLuaModule();
    // Trust the capture only if it is the instance wasmoon uses: the same memory.
    const module = lua.module as unknown as { HEAPU8: Uint8Array };
    if (wasmExports && wasmExports.memory.buffer !== module.HEAPU8.buffer) wasmExports = undefined;
  } finally {
    if (wasm.instantiate === watch) wasm.instantiate = original;
  }
}
