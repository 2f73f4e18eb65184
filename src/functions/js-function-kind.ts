import { isAbsolute, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors/config-error.ts';
import { resolveConfinedFile } from '../config/confined-file.ts';
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
 * directory (an absolute path is used as is); the handler is the export
 * named by `method`, or the default export.
 *
 * Problems surface while the configuration loads, as a `ConfigError` on
 * field `source` (missing file, import failure, no default function) or
 * `method` (named export missing or not a function).
 *
 * @example
 * ```ts
 * const { handler } = await jsFunctionKind.load(entry, { logger })
 * ```
 */
export const jsFunctionKind: FunctionKind = {
  kind: 'function.js',
  schema: jsFunctionSchema,
  async load(entry) {
    const { source, method } = entry.options as JsFunctionOptions;
    const { path, realPath } = await resolveConfinedFile(entry, source, 'source');
    const shown = shorten(path);
    const fail = (field: 'source' | 'method', message: string): never => {
      const issue: ConfigIssue = { file: shorten(entry.file), line: entry.line, entryId: entry.id, field, message };
      throw new ConfigError([issue]);
    };

    let module: Record<string, unknown> = {};
    try {
      module = (await import(pathToFileURL(realPath).href)) as Record<string, unknown>;
    } catch (e) {
      fail('source', `cannot import ${shown}: ${e instanceof Error ? e.message : String(e)}`);
    }

    const name = method ?? 'default';
    const handler = module[name];
    if (typeof handler !== 'function') {
      const functions = Object.keys(module).filter((k) => typeof module[k] === 'function');
      const offer = functions.length > 0 ? `its function exports: ${functions.join(', ')}` : 'it exports no function';
      if (method) fail('method', `export "${method}" of ${shown} is not a function (got ${typeOf(handler)}); ${offer}`);
      fail('source', `${shown} has no default export function (got ${typeOf(handler)}); ${offer}${functions.length > 0 ? ' (set method: to pick one)' : ''}`);
    }
    return { handler: handler as Handler };
  },
};

/** Paths under the working directory are shown relative to it, as users typed them. */
function shorten(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function typeOf(v: unknown): string {
  return v === undefined ? 'nothing' : v === null ? 'null' : typeof v;
}
