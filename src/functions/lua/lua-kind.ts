import type { FunctionKind } from '../../kinds/kind-descriptors.ts';
import { luaFunctionOptionsSchema } from './lua-options.ts';

/**
 * `function.lua`: a handler written in Lua 5.4 (wasmoon), as in Wippy.
 * The WebAssembly runtime is imported only when a config uses this kind.
 * See `docs/lua-handlers.md`.
 *
 * @example
 * ```yaml
 * - name: task_handler
 *   kind: function.lua
 *   source: file://task_handler.lua
 *   modules: [json, logger]
 * ```
 */
export const luaFunctionKind: FunctionKind = {
  kind: 'function.lua',
  schema: luaFunctionOptionsSchema,
  async check(entry) {
    const { checkLuaFunction } = await import('./lua-check.ts');
    await checkLuaFunction(entry);
  },
  async load(entry, env) {
    const { loadLuaFunction } = await import('./lua-function.ts');
    return loadLuaFunction(entry, env);
  },
};
