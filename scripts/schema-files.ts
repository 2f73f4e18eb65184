/**
 * The files made from the zod schemas: the registry JSON Schema shipped as
 * schema/actorq.schema.json, and the configuration reference made from it.
 * `npm run schema` writes them; a test checks the committed ones are current.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registryJsonSchema } from '../src/config/json-schema.ts';
import { builtinKinds } from '../src/kinds/builtin-kinds.ts';
import { configurationDoc } from './configuration-doc.ts';
import { fieldNotesFromSources } from './field-notes.ts';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Path (from the root) and text of every generated file. */
export function schemaFiles(): { path: string; text: string }[] {
  const schema = registryJsonSchema(builtinKinds, { fieldNotes: fieldNotesFromSources(join(ROOT, 'src')) });
  return [
    { path: 'schema/actorq.schema.json', text: `${JSON.stringify(schema, null, 2)}\n` },
    { path: 'docs/configuration.md', text: configurationDoc(schema) },
  ];
}
