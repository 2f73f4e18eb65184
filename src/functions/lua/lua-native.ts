import type { LuaEngine } from 'wasmoon';
import type { LogFields, LogLevel } from '../../util/logger.ts';
import { LuaRaw, SLOW } from './lua-raw.ts';
import { T_STRING, T_TABLE } from './lua-raw-support.ts';

/**
 * Creates `log(level, message, fields)` as a Lua C function (a function
 * pointer for `lua_pushcclosure`), for `bootstrap.lua`'s logger module.
 *
 * Why not a wasmoon-wrapped JS function like the rest of the bridge: a
 * log line per message is the hot path of most handlers, and wasmoon's
 * wrapper converts every argument through its generic machinery. Here the
 * strings and a plain fields table are read with {@link LuaRaw}; a fields
 * table the fast reader leaves alone (a function in it, a cycle) is
 * converted by wasmoon as before. `bootstrap.lua` passes a string level, a
 * string message and a table or nil.
 *
 * The caller removes the pointer with `module.removeFunction` when the
 * state closes.
 * @internal
 */
export function createNativeLog(
  engine: LuaEngine,
  raw: LuaRaw,
  log: (level: LogLevel, message: string, fields: LogFields | null) => void,
  logs: (level: LogLevel) => boolean,
): number {
  const lua = engine.global.lua;
  return lua.module.addFunction((L: number) => {
    try {
      const level = raw.readString(L, 1) as LogLevel;
      // A dropped level: its message and fields stay in Lua, unconverted.
      if (!logs(level)) return 0;
      const message = raw.type(L, 2) === T_STRING ? raw.readString(L, 2) : '';
      let fields: LogFields | null = null;
      if (raw.type(L, 3) === T_TABLE) {
        const value = raw.read(L, 3);
        fields = (value === SLOW ? engine.global.stateToThread(L).getValue(3) : value) as LogFields;
      }
      log(level, message, fields);
    } catch (e) {
      // A throwing logger becomes a Lua error in the script, as with wasmoon's wrapper.
      raw.pushString(L, e instanceof Error ? e.message : String(e));
      lua.lua_error(L);
    }
    return 0;
  }, 'ii');
}
