import type { FunctionEntry } from '../../config/entry-types.ts';
import { ConfigError } from '../../errors/config-error.ts';

// Apart from lua-source.ts (which reads the files, on the main thread) so
// that a Lua isolate, which only reports load errors, loads none of the
// configuration modules.

/** A Lua file read for a function entry. */
export interface LuaSourceFile {
  /** Absolute path. */
  readonly path: string;
  /**
   * Lua chunk name: `@` plus the path relative to the YAML file, so Lua
   * error messages read `task_handler.lua:7: ...`.
   */
  readonly chunkName: string;
  readonly code: string;
  /** Entry field that named it (`source`, `prelude[0]`), for config errors. */
  readonly field: string;
}

/**
 * Turns a Lua load-time error (`task_handler.lua:7: unexpected symbol`)
 * into a {@link ConfigError} located in the Lua file at that line.
 */
export function luaLoadError(entry: FunctionEntry, source: LuaSourceFile, luaMessage: string, what: string): ConfigError {
  // Lua prefixes messages with `chunkname:line:`; the first such prefix for this chunk gives the line.
  const name = source.chunkName.slice(1);
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}:(\\d+):`).exec(luaMessage);
  const message = luaMessage.split('\nstack traceback:')[0]!.trim();
  return new ConfigError([
    {
      file: source.path,
      ...(match ? { line: Number(match[1]) } : {}),
      entryId: entry.id,
      field: source.field,
      message: `${what}: ${message}`,
    },
  ]);
}
