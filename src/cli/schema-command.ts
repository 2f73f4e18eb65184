import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, type CliCommand } from './cli-io.ts';
import { parseCommandArgs, usageError } from './command-args.ts';

/** Where the schema sits in the package, from its root. */
const SCHEMA_FILE = join('schema', 'actorq.schema.json');

/**
 * `actorq schema`: prints the JSON Schema (draft 2020-12) of a registry
 * file, for editors (yaml-language-server) and other tools. It is the
 * schema shipped in the package as `schema/actorq.schema.json`, made from
 * the zod schemas the loader validates with (see `registryJsonSchema`, and
 * `npm run schema`, which writes it with the field descriptions of the
 * sources; a test keeps it current), so it covers every built-in kind.
 */
export const schemaCommand: CliCommand = {
  summary: 'print the JSON Schema of registry files (for editors)',
  usage: 'actorq schema',
  help: `Prints the JSON Schema (draft 2020-12) of actorq's YAML registry files,
with every built-in kind. Editors that use yaml-language-server read it from
a first line such as:

  # yaml-language-server: $schema=./node_modules/actorq/schema/actorq.schema.json

(the path relative to the YAML file). It checks each file's shape;
actorq validate also checks references, cycles and handler files.

exit codes: 0 printed, 1 the schema file is missing from the installation,
2 usage error.`,
  async run(args, io) {
    const parsed = parseCommandArgs(this, args, {}, io);
    if ('exit' in parsed) return parsed.exit;
    if (parsed.positionals.length > 0) return usageError(this, `unexpected argument ${parsed.positionals[0]!}`, io);
    const file = findSchemaFile();
    if (!file) {
      io.err(`actorq schema: ${SCHEMA_FILE} is missing from this installation of actorq (reinstall the package, or run npm run schema in a checkout)`);
      return EXIT.failed;
    }
    io.out(readFileSync(file, 'utf8'));
    return EXIT.ok;
  },
};

/** The schema file of the actorq package this code belongs to, found by walking up to its package.json. */
function findSchemaFile(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && isActorqPackage(pkg)) {
      const file = join(dir, SCHEMA_FILE);
      return existsSync(file) ? file : undefined;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function isActorqPackage(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'actorq';
  } catch {
    return false;
  }
}
