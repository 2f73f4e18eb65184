/**
 * What a JavaScript module exports, read from its syntax tree without
 * running it. Only what the text shows for certain is claimed: `export
 * default { ... }` is an object, `export function run` is a function, but
 * `export default make()` or `export * from './x'` could be anything, and
 * are reported as unknown so a check never refuses a module that would
 * have worked.
 */
import { parse, type Expression, type Identifier, type Literal, type Node, type Pattern, type Program, type VariableDeclaration } from 'acorn';

/** `typeof` of an export as far as the text shows, or `unknown`. */
export type StaticType = 'function' | 'object' | 'string' | 'number' | 'boolean' | 'bigint' | 'undefined' | 'null' | 'unknown';

/** The exports of a module, read statically. */
export interface StaticExports {
  /** Every export name the text declares, with its type where it is certain. */
  readonly names: ReadonlyMap<string, StaticType>;
  /** `export * from ...` is present, so more names may exist. */
  readonly open: boolean;
}

/** Where and why a source does not parse. */
export interface JsSyntaxError {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** How to parse: an ES module, or CommonJS (a script where top-level `return` is allowed). */
export type JsFormat = 'module' | 'commonjs';

/**
 * Parses `code` without running it.
 *
 * @returns the syntax tree, or the first syntax error with its position
 * @example
 * ```ts
 * const parsed = parseJs('export default () => 1', 'module')
 * if ('program' in parsed) console.log(staticExports(parsed.program).names.get('default')) // 'function'
 * ```
 */
export function parseJs(code: string, format: JsFormat): { readonly program: Program } | { readonly error: JsSyntaxError } {
  try {
    const program = parse(code, {
      ecmaVersion: 'latest',
      sourceType: format === 'module' ? 'module' : 'script',
      allowHashBang: true,
      allowReturnOutsideFunction: format === 'commonjs',
      locations: true,
    });
    return { program };
  } catch (e) {
    const { loc, message } = e as SyntaxError & { loc?: { line: number; column: number } };
    // acorn appends "(line:column)"; the position is reported separately.
    return { error: { line: loc?.line ?? 1, column: (loc?.column ?? 0) + 1, message: message.replace(/ \(\d+:\d+\)$/, '') } };
  }
}

/**
 * The exports of a parsed ES module.
 *
 * @example
 * ```ts
 * staticExports(program).names.get('default') // 'object' for `export default { a: 1 }`
 * ```
 */
export function staticExports(program: Program): StaticExports {
  const bindings = topLevelBindings(program);
  const names = new Map<string, StaticType>();
  let open = false;
  for (const node of program.body) {
    if (node.type === 'ExportDefaultDeclaration') {
      const d = node.declaration;
      names.set('default', d.type === 'FunctionDeclaration' || d.type === 'ClassDeclaration' ? 'function' : typeOfExpression(d as Expression, bindings));
    } else if (node.type === 'ExportNamedDeclaration') {
      const d = node.declaration;
      if (d?.type === 'FunctionDeclaration' || d?.type === 'ClassDeclaration') names.set(d.id.name, 'function');
      else if (d?.type === 'VariableDeclaration') for (const name of declaredNames(d)) names.set(name, bindings.get(name) ?? 'unknown');
      for (const s of node.specifiers) {
        const exported = nameOf(s.exported);
        // Re-exports from another module are not followed: that would mean reading more files.
        names.set(exported, node.source ? 'unknown' : typeOfBinding(nameOf(s.local), bindings));
      }
    } else if (node.type === 'ExportAllDeclaration') {
      if (node.exported) names.set(nameOf(node.exported), 'object');
      else open = true;
    }
  }
  return { names, open };
}

type Bindings = Map<string, StaticType>;

/** Top-level names whose value the text fixes: functions, classes and `const` with a literal value. */
function topLevelBindings(program: Program): Bindings {
  const bindings: Bindings = new Map();
  const pending: [string, Expression][] = [];
  for (const top of program.body) {
    const node = top.type === 'ExportNamedDeclaration' || top.type === 'ExportDefaultDeclaration' ? (top.declaration as Node | null) : top;
    if (!node) continue;
    if (node.type === 'FunctionDeclaration' || node.type === 'ClassDeclaration') {
      const id = (node as Node & { id: Identifier | null }).id;
      if (id) bindings.set(id.name, 'function');
    } else if (node.type === 'VariableDeclaration') {
      const declaration = node as VariableDeclaration;
      for (const d of declaration.declarations) {
        if (declaration.kind === 'const' && d.id.type === 'Identifier' && d.init) pending.push([d.id.name, d.init]);
        else for (const name of patternNames(d.id)) bindings.set(name, 'unknown');
      }
    }
  }
  // `const a = b` refers to names declared anywhere at top level; one pass per reference depth settles short chains.
  for (const [name] of pending) bindings.set(name, 'unknown');
  for (let round = 0; round < 3; round++) for (const [name, init] of pending) bindings.set(name, typeOfExpression(init, bindings));
  return bindings;
}

function typeOfExpression(e: Expression, bindings: Bindings): StaticType {
  switch (e.type) {
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ClassExpression':
      return 'function';
    case 'ObjectExpression':
    case 'ArrayExpression':
      return 'object';
    case 'TemplateLiteral':
      return 'string';
    case 'Literal':
      if (e.value === null) return 'regex' in e && e.regex ? 'object' : 'null';
      return typeof e.value as StaticType;
    case 'Identifier':
      return e.name === 'undefined' && !bindings.has('undefined') ? 'undefined' : typeOfBinding(e.name, bindings);
    default:
      return 'unknown';
  }
}

function typeOfBinding(name: string, bindings: Bindings): StaticType {
  return bindings.get(name) ?? 'unknown';
}

function declaredNames(d: VariableDeclaration): string[] {
  return d.declarations.flatMap((x) => patternNames(x.id));
}

/** Names bound by a declaration pattern (`a`, `{ a, b: c }`, `[a, ...rest]`). */
function patternNames(p: Pattern): string[] {
  switch (p.type) {
    case 'Identifier':
      return [p.name];
    case 'ObjectPattern':
      return p.properties.flatMap((prop) => patternNames(prop.type === 'RestElement' ? prop.argument : prop.value));
    case 'ArrayPattern':
      return p.elements.flatMap((el) => (el ? patternNames(el) : []));
    case 'RestElement':
      return patternNames(p.argument);
    case 'AssignmentPattern':
      return patternNames(p.left);
    default:
      return [];
  }
}

function nameOf(n: Identifier | Literal): string {
  return n.type === 'Identifier' ? n.name : String(n.value);
}
