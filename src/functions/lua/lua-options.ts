import { z } from 'zod';
import { durationSchema } from '../../util/duration.ts';

/** Modules a `function.lua` entry may list under `modules`. */
export const LUA_MODULES = ['json', 'logger', 'queue'] as const;
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
  })
  .strict();

/** Validated `function.lua` options. */
export type LuaFunctionOptions = z.output<typeof luaFunctionOptionsSchema>;
