import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { registryJsonSchema, type JsonSchema } from '../../src/config/json-schema.ts';
import { builtinKinds } from '../../src/kinds/builtin-kinds.ts';
import type { DriverKind, KindCatalog } from '../../src/kinds/kind-descriptors.ts';
import { schemaFiles } from '../../scripts/schema-files.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SPECS = join(ROOT, 'specs');
const COMMITTED = readFileSync(join(ROOT, 'schema/actorq.schema.json'), 'utf8');
const schema = JSON.parse(COMMITTED) as JsonSchema;

/**
 * Invalid specs whose mistake a JSON Schema cannot see, and why. Every
 * other file in an `invalid/` folder must fail the schema (or YAML parsing).
 */
const BEYOND_SCHEMA: Readonly<Record<string, string>> = {
  'invalid/bad-reference.yaml': 'a reference to an entry that does not exist',
  'invalid/wrong-kind-reference.yaml': 'a reference to an entry of the wrong kind',
  'invalid/cycle-via-requires.yaml': 'a dependency cycle',
  'invalid/duplicate-ids/a.yaml': 'an ID defined twice, across files',
  'invalid/duplicate-ids/b.yaml': 'an ID defined twice, across files',
  'invalid/duration-too-long.yaml': 'how long a duration string is (600h)',
  'invalid/not-utf8.yaml': 'the bytes of the file (not UTF-8)',
  'invalid/handler-not-function.yaml': 'a handler file',
  'invalid/handler-syntax-error.yaml': 'a handler file',
  'invalid/lua-syntax-error.yaml': 'a handler file',
  'invalid/missing-handler-file.yaml': 'a handler file',
  'invalid/source-dev-zero.yaml': 'a handler file',
  'invalid/source-is-directory.yaml': 'a handler file',
  'invalid/source-outside.yaml': 'where a handler file is',
  'invalid/source-symlink-escape.yaml': 'where a handler file is',
  'amqp/invalid/bad-url.yaml': 'a URL checked by code (scheme and host)',
  'amqp/invalid/bad-message-ttl.yaml': 'a duration the AMQP driver parses with its own schema (no 24.8-day cap), which the JSON Schema sees as string or number',
  'amqp/invalid/tls-both-sources.yaml': 'a rule across two fields',
  'nats/invalid/bad-server.yaml': 'a URL checked by code (scheme and host)',
  'nats/invalid/two-auth-ways.yaml': 'a rule across fields',
  'nats/invalid/window-past-max-age.yaml': 'a rule across fields',
  'redis/invalid/bad-url.yaml': 'a URL checked by code (scheme and host)',
  'redis/invalid/url-and-host.yaml': 'a rule across fields',
  'security/invalid/unknown-group/app.yaml': 'a reference to a group no policy has',
  'security/invalid/unknown-group/shared.yaml': 'a reference to a group no policy has',
  'security/invalid/unknown-policy.yaml': 'a reference to a policy that does not exist',
  'sqs/invalid/bad-driver-fields.yaml': 'values checked by code (endpoint URL, bounds of durations in seconds)',
  'sqs/invalid/key-without-secret.yaml': 'a rule across fields',
};

function* yamlFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* yamlFiles(full);
    else if (/\.ya?ml$/.test(name)) yield full;
  }
}

const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
const validate = ajv.compile(schema);

/** Whether a YAML file passes the schema; a file that is not YAML does not. */
function check(file: string): { ok: boolean; errors: string } {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { ok: false, errors: `not YAML: ${String(error)}` };
  }
  const ok = validate(data);
  return { ok, errors: ok ? '' : ajv.errorsText(validate.errors) };
}

const specFiles = [...yamlFiles(SPECS)].map((file) => ({ file, rel: relative(SPECS, file).split('\\').join('/') }));
const valid = specFiles.filter((f) => !f.rel.split('/').includes('invalid'));
const invalid = specFiles.filter((f) => f.rel.split('/').includes('invalid'));

describe('schema/actorq.schema.json', () => {
  it('is what npm run schema makes now (from the zod schemas), and so is docs/configuration.md', () => {
    for (const { path, text } of schemaFiles()) {
      expect(readFileSync(join(ROOT, path), 'utf8'), `${path} is out of date: run npm run schema`).toBe(text);
    }
    // Reading the sources' TSDoc parses TypeScript: seconds on a busy machine.
  }, 60_000);

  it('is what actorq schema prints', async () => {
    const out: string[] = [];
    expect(await main(['schema'], { out: (t) => void out.push(t), err: (t) => void out.push(`stderr: ${t}`) })).toBe(0);
    expect(out.join('')).toBe(COMMITTED);
  });

  it('is a draft 2020-12 schema a standard validator compiles in strict mode', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(typeof validate).toBe('function');
  });

  it('has every kind of the built-in catalog', () => {
    const kinds = ((schema['$defs'] as Record<string, JsonSchema>)['entry']!['properties'] as Record<string, JsonSchema>)['kind']!['enum'];
    expect(kinds).toEqual(expect.arrayContaining([...builtinKinds.drivers.keys(), ...builtinKinds.functions.keys(), 'queue.queue', 'queue.consumer']));
  });
});

describe('specs against the schema', () => {
  it('finds the spec files', () => {
    expect(valid.length).toBeGreaterThanOrEqual(5);
    expect(invalid.length).toBeGreaterThanOrEqual(30);
  });

  it.each(valid)('$rel passes', ({ file }) => {
    const { ok, errors } = check(file);
    expect(errors).toBe('');
    expect(ok).toBe(true);
  });

  it.each(invalid)('$rel fails (or is listed as beyond a JSON Schema)', ({ file, rel }) => {
    const { ok } = check(file);
    if (BEYOND_SCHEMA[rel] === undefined) {
      expect(ok, `${rel} passes the JSON Schema: make the schema catch it, or list it in BEYOND_SCHEMA with the reason`).toBe(false);
    } else {
      // The list stays true: a case the schema starts to catch leaves it.
      expect(ok, `${rel} is listed in BEYOND_SCHEMA but the schema catches it now: remove it from the list`).toBe(true);
    }
  });

  it('lists only cases that exist', () => {
    expect(Object.keys(BEYOND_SCHEMA).filter((rel) => !invalid.some((f) => f.rel === rel))).toEqual([]);
  });
});

describe('what the schema checks', () => {
  const doc = (entries: unknown[]) => validate({ namespace: 'app', entries });
  const driver = { name: 'mem', kind: 'queue.driver.memory' };

  it('takes a field written with no value (null) as not set, as the loader does', () => {
    expect(doc([driver, { name: 'q', kind: 'queue.queue', driver: 'app:mem', queue_name: null, retry: null }])).toBe(true);
    expect(doc([driver, { name: 'q', kind: 'queue.queue', driver: null }])).toBe(false);
  });

  it('reads durations as milliseconds or Go-style strings', () => {
    const consumer = (timeout: unknown) => ({ name: 'c', kind: 'queue.consumer', queue: 'app:q', func: 'app:f', timeout });
    for (const ok of [0, 1500, '500ms', '10s', '1m30s', '1.5h']) expect(doc([consumer(ok)]), String(ok)).toBe(true);
    for (const bad of [-1, '10x', 'soon', true]) expect(doc([consumer(bad)]), String(bad)).toBe(false);
  });

  it('refuses unknown fields and kinds, and checks each driver section of a queue', () => {
    expect(doc([{ ...driver, url: 'x' }])).toBe(false);
    expect(doc([{ name: 'x', kind: 'queue.driver.kafka' }])).toBe(false);
    expect(doc([{ name: 'q', kind: 'queue.queue', driver: 'app:mem', driver_options: { memory: { max_length: 5 } } }])).toBe(true);
    expect(doc([{ name: 'q', kind: 'queue.queue', driver: 'app:mem', driver_options: { memory: { max_length: 0 } } }])).toBe(false);
    expect(doc([{ name: 'q', kind: 'queue.queue', driver: 'app:mem', driver_options: { kafka: {} } }])).toBe(false);
  });

  it('is made from the catalog it is given: a new driver kind and its queue options appear', () => {
    const kafka: DriverKind = {
      kind: 'queue.driver.kafka',
      optionsKey: 'kafka',
      schema: z.object({ brokers: z.array(z.string()).min(1) }).strict(),
      queueOptionsSchema: z.object({ partitions: z.number().int().positive().default(1) }).strict(),
      create: () => Promise.reject(new Error('not in this test')),
    };
    const kinds: KindCatalog = { drivers: new Map([...builtinKinds.drivers, [kafka.kind, kafka]]), functions: builtinKinds.functions };
    const own = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(registryJsonSchema(kinds));
    expect(own({ namespace: 'app', entries: [{ name: 'k', kind: 'queue.driver.kafka', brokers: ['b:9092'] }] })).toBe(true);
    expect(own({ namespace: 'app', entries: [{ name: 'k', kind: 'queue.driver.kafka' }] })).toBe(false);
    expect(own({ namespace: 'app', entries: [{ name: 'q', kind: 'queue.queue', driver: 'app:k', driver_options: { kafka: { partitions: 3 } } }] })).toBe(true);
    expect(own({ namespace: 'app', entries: [{ name: 'q', kind: 'queue.queue', driver: 'app:k', driver_options: { kafka: { partitions: 'x' } } }] })).toBe(false);
  });
});
