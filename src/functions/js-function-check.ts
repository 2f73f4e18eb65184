/**
 * The check of a `function.js` entry that runs none of its code: the file
 * is confined, regular and within the size limit, parses (as an ES module,
 * or as CommonJS where Node would load it so), and, where the text shows it
 * for certain, exports a function under the expected name. A module with
 * top-level side effects or a top-level `await` that never settles is only
 * read, never evaluated.
 */
import { dirname, extname, join } from 'node:path';
import { readBounded } from '../config/bounded-read.ts';
import { readConfinedFile, shown } from '../config/confined-file.ts';
import type { FunctionEntry } from '../config/entry-types.ts';
import { ConfigError } from '../errors/config-error.ts';
import { parseJs, staticExports, type JsFormat, type StaticType } from './js-static-exports.ts';

/** What a `function.js` entry names (its validated options). @internal */
export interface JsFunctionTarget {
  readonly source: string;
  readonly method?: string;
}

/**
 * Checks a `function.js` entry without running its module.
 *
 * @throws ConfigError on field `source` (file refused, syntax error, no
 *   default export function) or `method` (named export missing or not a
 *   function), naming the entry, its YAML file and line
 * @example
 * ```ts
 * await checkJsFunction(entry, { source: 'file://handler.mjs' })
 * ```
 */
export async function checkJsFunction(entry: FunctionEntry, target: JsFunctionTarget): Promise<void> {
  const fail = (field: 'source' | 'method', message: string): never => {
    throw new ConfigError([{ file: shown(entry.file), line: entry.line, entryId: entry.id, field, message }]);
  };
  const { path, realPath, text } = await readConfinedFile(entry, target.source, 'source');
  const format = await formatOf(realPath);
  // Neither JavaScript nor known to Node without a loader (e.g. `.ts` under tsx): the file is checked when it runs.
  if (format === undefined) return;

  let parsed = parseJs(text, format === 'commonjs' ? 'commonjs' : 'module');
  // Node loads a `.js` file outside a `"type"` package as CommonJS when it has no module syntax.
  if ('error' in parsed && format === 'detect') {
    const asScript = parseJs(text, 'commonjs');
    if ('program' in asScript) return;
  }
  if ('error' in parsed) {
    const { line, column, message } = parsed.error;
    return fail('source', `syntax error in ${shown(path)}:${line}:${column}: ${message}`);
  }
  // CommonJS exports are whatever `module.exports` becomes at run time; a `.js` file without module syntax is CommonJS.
  if (format === 'commonjs' || (format === 'detect' && !isModule(parsed.program))) return;

  const { names, open } = staticExports(parsed.program);
  const name = target.method ?? 'default';
  const type = names.get(name);
  if (type === 'function' || type === 'unknown' || (type === undefined && open)) return;
  const functions = [...names].filter(([, t]) => t === 'function').map(([n]) => n);
  const message = missingExportMessage(shown(path), target.method, type ?? 'nothing', functions);
  fail(target.method ? 'method' : 'source', message);
}

/**
 * The message for a handler export that is missing or not a function,
 * shared by the check and the loader so both say the same. @internal
 */
export function missingExportMessage(file: string, method: string | undefined, got: StaticType | string, functions: readonly string[]): string {
  const offer = functions.length > 0 ? `its function exports: ${functions.join(', ')}` : 'it exports no function';
  if (method) return `export "${method}" of ${file} is not a function (got ${got}); ${offer}`;
  return `${file} has no default export function (got ${got}); ${offer}${functions.length > 0 ? ' (set method: to pick one)' : ''}`;
}

/** Whether the text has module syntax (Node's detection looks for it in a `.js` file no `"type"` governs). */
function isModule(program: { body: readonly { type: string }[] }): boolean {
  return program.body.some((n) => n.type.startsWith('Export') || n.type === 'ImportDeclaration');
}

/**
 * How Node will load the file: `.mjs` as a module, `.cjs` as CommonJS, `.js`
 * by the nearest `package.json` `"type"` (`detect` when none says, as Node
 * then decides by syntax); `undefined` for other extensions.
 */
async function formatOf(path: string): Promise<JsFormat | 'detect' | undefined> {
  const ext = extname(path).toLowerCase();
  if (ext === '.mjs') return 'module';
  if (ext === '.cjs') return 'commonjs';
  if (ext !== '.js') return undefined;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const read = await readBounded(join(dir, 'package.json'), { maxBytes: 1024 * 1024 });
    if (read.ok) {
      const type = packageType(read.text);
      if (type !== undefined) return type;
      return 'detect';
    }
    if (dirname(dir) === dir) return 'detect';
  }
}

function packageType(text: string): JsFormat | undefined {
  try {
    const type = (JSON.parse(text) as { type?: unknown }).type;
    return type === 'module' ? 'module' : type === 'commonjs' ? 'commonjs' : undefined;
  } catch {
    return undefined;
  }
}
