import { relative } from 'node:path';
import { readConfinedFile } from '../../config/confined-file.ts';
import { ConfigError } from '../../errors/config-error.ts';
import type { FunctionEntry } from '../../config/entry-types.ts';

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
 * Reads a `file://` source relative to the entry's YAML directory, confined
 * to the entry's root (see `config/confined-file.ts`). A missing, unreadable,
 * outside, non-regular or oversized file is a {@link ConfigError} naming the
 * entry and the field, raised while the configuration loads.
 */
export async function readLuaSource(entry: FunctionEntry, url: string, field: string): Promise<LuaSourceFile> {
  const { path, text } = await readConfinedFile(entry, url, field);
  return { path, chunkName: `@${relative(entry.base_dir, path) || path}`, code: text, field };
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
