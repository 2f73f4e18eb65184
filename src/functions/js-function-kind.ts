import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../errors/config-error.ts';
import { resolveConfinedFile, shown } from '../config/confined-file.ts';
import { checkJsFunction, missingExportMessage } from './js-function-check.ts';
import { importHandlerModule } from './import-handler-module.ts';
import type { FunctionKind } from '../kinds/kind-descriptors.ts';
import type { Handler } from './handler.ts';

const FILE_PREFIX = 'file://';

/**
 * Fields of a `function.js` entry.
 *
 * @example
 * ```yaml
 * - name: task_handler
 *   kind: function.js
 *   source: file://task_handler.mjs   # relative to this YAML file
 *   method: handle                     # optional; the default export otherwise
 * ```
 */
export const jsFunctionSchema = z
  .object({
    source: z.string().startsWith(FILE_PREFIX),
    method: z.string().min(1).optional(),
  })
  .strict();

/** The options of a validated `function.js` entry. */
export type JsFunctionOptions = z.output<typeof jsFunctionSchema>;

/**
 * `function.js`: a handler written in JavaScript, imported from a module
 * file. `source: file://x.mjs` is resolved against the YAML file's
 * directory and must stay inside it (or inside the configured root); the
 * handler is the export named by `method`, or the default export. A
 * TypeScript source loads through tsx when it is installed (an optional
 * peer dependency), in folders with or without `"type": "module"` (see
 * `import-handler-module.ts`).
 *
 * `check` reads and parses the file without running it (see
 * `js-function-check.ts`); `load` imports it, running its top-level code.
 * Both report problems as a `ConfigError` on field `source` (file refused,
 * syntax or import failure, no default function) or `method` (named export
 * missing or not a function).
 *
 * @example
 * ```ts
 * await jsFunctionKind.check(entry, { logger })             // runs nothing
 * const { handler } = await jsFunctionKind.load(entry, { logger })
 * ```
 */
export const jsFunctionKind: FunctionKind = {
  kind: 'function.js',
  schema: jsFunctionSchema,
  async check(entry) {
    await checkJsFunction(entry, entry.options as JsFunctionOptions);
  },
  async load(entry) {
    const { source, method } = entry.options as JsFunctionOptions;
    const { path, realPath } = await resolveConfinedFile(entry, source, 'source');
    const file = shown(path);
    const fail = (field: 'source' | 'method', message: string): never => {
      throw new ConfigError([{ file: shown(entry.file), line: entry.line, entryId: entry.id, field, message }]);
    };

    let module: Record<string, unknown> = {};
    try {
      module = await importHandlerModule(pathToFileURL(realPath).href);
    } catch (e) {
      fail('source', `cannot import ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }

    const handler = module[method ?? 'default'];
    if (typeof handler !== 'function') {
      const functions = Object.keys(module).filter((k) => typeof module[k] === 'function');
      fail(method ? 'method' : 'source', missingExportMessage(file, method, typeOf(handler), functions));
    }
    return { handler: handler as Handler };
  },
};

function typeOf(v: unknown): string {
  return v === undefined ? 'nothing' : v === null ? 'null' : typeof v;
}
