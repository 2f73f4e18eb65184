import { z } from 'zod';
import { byteSizeSchema } from '../../util/byte-size.ts';
import { durationSchema } from '../../util/duration.ts';

/** Modules a `function.lua` entry may list under `modules`. */
export const LUA_MODULES = ['json', 'logger', 'queue', 'security'] as const;
/** One of {@link LUA_MODULES}. */
export type LuaModuleName = (typeof LUA_MODULES)[number];

/**
 * Time a Lua handler call may run when nothing stops it earlier.
 * A consumer's own `timeout` (through `ctx.signal`) stops it sooner; a
 * function's `timeout` field replaces this default.
 *
 * @default 30000
 */
export const DEFAULT_LUA_TIMEOUT_MS = 30_000;

/**
 * Largest Lua heap of one isolate of a function, in bytes; the isolate's
 * JavaScript heap is capped at the same size (at least 64 MiB).
 *
 * @default 268435456 (256 MiB)
 */
export const DEFAULT_LUA_MEMORY_LIMIT = 256 * 2 ** 20;
/** Smallest `memory_limit`: the Lua heap starts at 16 MiB. */
export const MIN_LUA_MEMORY_LIMIT = 32 * 2 ** 20;
/** Largest `memory_limit`: the interpreter is 32-bit WebAssembly. */
export const MAX_LUA_MEMORY_LIMIT = 2 * 2 ** 30;
/** Most isolates (worker threads) one function may have. */
export const MAX_LUA_ISOLATES = 16;

const fileUrl = z
  .string()
  .regex(/^file:\/\/.+/, { message: 'expected a file:// URL relative to the YAML file, e.g. file://task_handler.lua' });

/**
 * The fields of a `function.lua` entry.
 *
 * @example
 * ```yaml
 * - name: task_handler
 *   kind: function.lua
 *   source: file://task_handler.lua
 *   modules: [json, logger]
 *   prelude: file://process_task.lua
 * ```
 */
export const luaFunctionOptionsSchema = z
  .object({
    /** The script; it returns the handler function (or a table, see `method`). */
    source: fileUrl,
    /** Modules the script may `require`. @default [] */
    modules: z.array(z.enum(LUA_MODULES)).default([]),
    /** Field of the table the script returns that is the handler. */
    method: z.string().min(1).optional(),
    /**
     * Scripts run before `source` in the same state, for globals the script
     * expects (the seed's `process_task`).
     */
    prelude: z.union([fileUrl, z.array(fileUrl)]).optional(),
    /** Per-call time limit, `0` for none. @default "30s" */
    timeout: durationSchema.optional(),
    /** Largest Lua heap per isolate (`256MiB`, `1GiB`, or bytes). @default "256MiB" */
    memory_limit: byteSizeSchema(MIN_LUA_MEMORY_LIMIT, MAX_LUA_MEMORY_LIMIT).optional(),
    /** Worker threads running this function's calls, each with its own heap. @default 1 */
    isolates: z.number().int().min(1).max(MAX_LUA_ISOLATES).optional(),
  })
  .strict();

/** Validated `function.lua` options. */
export type LuaFunctionOptions = z.output<typeof luaFunctionOptionsSchema>;
