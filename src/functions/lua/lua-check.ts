/**
 * The check of a `function.lua` entry that runs none of its code: every
 * file (`prelude`s, then `source`) is read through the confinement and
 * compiled into a chunk that is never called. Compiling cannot loop, so a
 * script that spins forever at load, or runs for a minute, costs `validate`
 * only the time to parse it.
 *
 * The compiler runs in a Lua state of its own, made for the check without
 * the standard libraries and closed right after, so checking shares no heap
 * with the states that run handlers.
 */
import { LuaFactory, type LuaEngine } from 'wasmoon';
import type { FunctionEntry } from '../../config/entry-types.ts';
import { ConfigError, type ConfigIssue } from '../../errors/config-error.ts';
import { luaFunctionOptionsSchema } from './lua-options.ts';
import { luaLoadError, readLuaSource, type LuaSourceFile } from './lua-source.ts';

let factory: LuaFactory | undefined;

/**
 * Reads and compiles the files of a `function.lua` entry without running
 * them. Every unreadable or uncompilable file is reported, not only the
 * first.
 *
 * @throws ConfigError naming the entry and field (`source`, `prelude[i]`),
 *   and for a syntax error the Lua file and line
 * @example
 * ```ts
 * await checkLuaFunction(entry)   // a `while true do end` at load returns at once
 * ```
 */
export async function checkLuaFunction(entry: FunctionEntry): Promise<void> {
  const options = luaFunctionOptionsSchema.parse(entry.options);
  const preludes = options.prelude === undefined ? [] : [options.prelude].flat();
  const fields = preludes.map((_, i) => (Array.isArray(options.prelude) ? `prelude[${i}]` : 'prelude'));
  const reads = await Promise.allSettled([
    ...preludes.map((url, i) => readLuaSource(entry, url, fields[i]!)),
    readLuaSource(entry, options.source, 'source'),
  ]);
  const issues: ConfigIssue[] = [];
  const files: LuaSourceFile[] = [];
  for (const read of reads) {
    if (read.status === 'fulfilled') files.push(read.value);
    else if (read.reason instanceof ConfigError) issues.push(...read.reason.issues);
    else throw read.reason;
  }

  if (files.length > 0) {
    const engine = await compilerState();
    try {
      for (const file of files) {
        const error = compile(engine, file);
        if (error !== undefined) issues.push(...luaLoadError(entry, file, error, 'Lua syntax error').issues);
      }
    } finally {
      engine.global.close();
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/** Compiles one file onto the stack and drops the chunk uncalled; the compiler's message on failure. */
function compile(engine: LuaEngine, file: LuaSourceFile): string | undefined {
  const thread = engine.global;
  try {
    thread.loadString(file.code, file.chunkName);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    thread.setTop(0);
  }
}

/** A bare Lua state: compiling needs no library, and a state without them can run nothing useful by mistake. */
async function compilerState(): Promise<LuaEngine> {
  factory ??= new LuaFactory();
  return factory.createEngine({ openStandardLibs: false, injectObjects: false, enableProxy: false });
}
