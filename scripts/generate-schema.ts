/**
 * `npm run schema`: writes schema/actorq.schema.json and
 * docs/configuration.md from the zod schemas. `--check` writes nothing and
 * exits 1 when either is out of date.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, schemaFiles } from './schema-files.ts';

const check = process.argv.includes('--check');
let stale = 0;
for (const { path, text } of schemaFiles()) {
  const full = join(ROOT, path);
  let current: string | undefined;
  try {
    current = readFileSync(full, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) continue;
  if (check) {
    console.error(`${path} is out of date: run npm run schema`);
    stale++;
  } else {
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
    console.log(`wrote ${path}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
