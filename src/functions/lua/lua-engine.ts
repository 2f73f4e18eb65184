import { LuaFactory, type LuaEngine } from 'wasmoon';

let factory: LuaFactory | undefined;

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
export function createLuaEngine(): Promise<LuaEngine> {
  factory ??= new LuaFactory();
  return factory.createEngine({ enableProxy: false, injectObjects: false });
}
