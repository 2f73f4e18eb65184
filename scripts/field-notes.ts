/**
 * Field descriptions for the JSON Schema, read from the TSDoc comments the
 * sources already carry on each field of a `z.object({ ... })`, so the
 * schema (and the configuration reference made from it) says what the code
 * says, and a new kind's fields are described as soon as they are written.
 * Uses the TypeScript compiler's parser; nothing is run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { FieldNotes } from '../src/config/json-schema.ts';

/** Reads every `z.object({...})` literal under `dir` and returns its field descriptions, found by field names. */
export function fieldNotesFromSources(dir: string): FieldNotes {
  const byKeys = new Map<string, Record<string, string>>();
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    // Most files hold no zod object: skip parsing them.
    if (!/\bz\.(object|strictObject|looseObject)\(/.test(text)) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      const literal = zodObjectLiteral(node);
      if (literal) {
        const fields: Record<string, string> = {};
        const names: string[] = [];
        for (const property of literal.properties) {
          const name = property.name && propertyName(property.name);
          if (name === undefined) continue;
          names.push(name);
          const text = docText(property);
          if (text) fields[name] = text;
        }
        const key = names.sort().join(',');
        // Two objects with the same fields (rare) share what either says.
        byKeys.set(key, { ...fields, ...byKeys.get(key) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return (names) => byKeys.get([...names].sort().join(','));
}

function* sourceFiles(dir: string): Generator<string> {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, d.name);
    if (d.isDirectory()) yield* sourceFiles(full);
    else if (d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.d.ts')) yield full;
  }
}

/** The object literal of a `z.object({...})` (or `z.strictObject`) call. */
function zodObjectLiteral(node: ts.Node): ts.ObjectLiteralExpression | undefined {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return undefined;
  const { expression, name } = node.expression;
  if (!ts.isIdentifier(expression) || expression.text !== 'z' || !['object', 'strictObject', 'looseObject'].includes(name.text)) return undefined;
  const arg = node.arguments[0];
  return arg && ts.isObjectLiteralExpression(arg) ? arg : undefined;
}

function propertyName(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}

/** The TSDoc of a field as one paragraph: `@default x` becomes "Default: x.", `{@link X}` becomes `X`, other tags are left out. */
function docText(node: ts.Node): string | undefined {
  const parts: string[] = [];
  for (const doc of ts.getJSDocCommentsAndTags(node)) {
    if (!ts.isJSDoc(doc)) continue;
    const comment = flatten(ts.getTextOfJSDocComment(doc.comment));
    if (comment) parts.push(sentence(comment));
    for (const tag of doc.tags ?? []) {
      const text = flatten(ts.getTextOfJSDocComment(tag.comment));
      if (tag.tagName.text !== 'default' || !text) continue;
      // `@default 10s: how long ...` carries the field's description after the value.
      const split = /^(\S+?):\s+(.+)$/.exec(text);
      if (split) parts.push(sentence(split[2]!));
      parts.push(`Default: ${split ? split[1] : text}.`);
    }
  }
  const text = parts.join(' ').trim();
  return text === '' ? undefined : text;
}

function flatten(text: string | undefined): string | undefined {
  return text
    ?.replace(/\{@link\s+([^}|\s]+)(?:[\s|][^}]*)?\}/g, '`$1`')
    .replace(/\s+/g, ' ')
    .trim();
}

function sentence(text: string): string {
  const t = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?)`]$/.test(t) ? t : `${t}.`;
}
