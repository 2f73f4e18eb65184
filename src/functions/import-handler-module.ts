import { ActorqError } from '../errors/actorq-error.ts';

/** Sources Node cannot import by itself (before its own type stripping): TypeScript. */
const TYPESCRIPT_FILE = /\.[cm]?tsx?$/i;

/** The scoped importer of tsx, made on the first TypeScript handler. */
let tsxImport: Promise<((url: string, parent: string) => Promise<unknown>) | undefined> | undefined;

/**
 * Imports a handler module by file URL and returns its exports.
 *
 * JavaScript is imported by Node. TypeScript (`.ts`, `.mts`, `.cts`,
 * `.tsx`) goes through tsx, an optional peer dependency loaded only here,
 * in a namespace of its own, so neither the process nor other modules see
 * a loader. When tsx is not installed, Node is asked directly (versions
 * that strip types load the file); when Node cannot either, the error
 * says to install tsx.
 *
 * A module Node loaded as CommonJS (a `.ts` file in a folder whose
 * `package.json` has no `"type": "module"`, compiled by tsx to CommonJS)
 * arrives as `{ default: module.exports }`; its ES-module exports are read
 * from inside, so `export default` and named exports work in both kinds
 * of folder.
 * @internal Used by the `function.js` kind.
 */
export async function importHandlerModule(url: string): Promise<Record<string, unknown>> {
  const module = (TYPESCRIPT_FILE.test(new URL(url).pathname) ? await importTypeScript(url) : await import(url)) as Record<string, unknown>;
  const inner = module['default'];
  const fromCommonJs = typeof inner === 'object' && inner !== null && (inner as { __esModule?: unknown }).__esModule === true;
  return fromCommonJs ? (inner as Record<string, unknown>) : module;
}

async function importTypeScript(url: string): Promise<unknown> {
  const scoped = await (tsxImport ??= loadTsx());
  if (scoped) return scoped(url, import.meta.url);
  try {
    return await import(url);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    throw new ActorqError('CONFIG_INVALID', 'a TypeScript handler needs tsx, which is not installed: run `npm install tsx` (or write the handler in JavaScript)');
  }
}

async function loadTsx(): Promise<((url: string, parent: string) => Promise<unknown>) | undefined> {
  try {
    const { register } = await import('tsx/esm/api');
    return register({ namespace: 'actorq-handlers' }).import;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}
