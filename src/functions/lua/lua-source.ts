import { relative } from 'node:path';
import { readConfinedFile } from '../../config/confined-file.ts';
import type { FunctionEntry } from '../../config/entry-types.ts';
import type { LuaSourceFile } from './lua-load-error.ts';

export type { LuaSourceFile } from './lua-load-error.ts';
export { luaLoadError } from './lua-load-error.ts';

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
