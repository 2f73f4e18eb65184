import { z } from 'zod';
import type { KindCatalog } from '../kinds/kind-descriptors.ts';
import { durationSchema, MAX_DURATION_MS } from '../util/duration.ts';
import { CONSUMER_LIMITS, consumerSchema, MESSAGE_SIZE_LIMITS, queueSchema } from './entry-schemas.ts';
import { BLOCK_NOTES, CORE_NOTES, ENTRY_NOTES, KIND_FIELD_NOTES } from './json-schema-notes.ts';
import { lifecycleSchema } from './lifecycle-schema.ts';
import { CONSUMER_KIND, QUEUE_KIND } from './registry.ts';
import { POLICY_KIND, policyEntrySchema } from '../security/policy-schema.ts';
import { securityBlockSchema } from '../security/security-block-schema.ts';

/** A JSON Schema node, as plain data. */
export type JsonSchema = { [key: string]: unknown };

/**
 * Descriptions of the fields of one object schema, found by its field
 * names (e.g. from the TSDoc comments in the sources, which is what
 * `scripts/generate-schema.ts` passes). Returns nothing for objects it
 * does not know.
 */
export type FieldNotes = (fieldNames: readonly string[]) => Readonly<Record<string, string>> | undefined;

/** Options of {@link registryJsonSchema}. */
export interface RegistryJsonSchemaOptions {
  /** Field descriptions for the kinds' own fields. */
  readonly fieldNotes?: FieldNotes;
}

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';
// The same rule as the loader's: a ':' would make `namespace:name` ambiguous; whitespace is always a typo.
const NAME_PATTERN = '^[^\\s:]+$';
const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?|((\\d+(\\.\\d+)?)(ns|us|µs|ms|s|m|h))+)\\s*$';
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const DURATION_INPUT = (durationSchema.def as { in?: unknown }).in;
/** String formats JSON Schema defines (draft 2020-12), which validators know. */
const STANDARD_FORMATS = new Set(['date-time', 'date', 'time', 'duration', 'email', 'idn-email', 'hostname', 'idn-hostname', 'ipv4', 'ipv6', 'uri', 'uri-reference', 'iri', 'iri-reference', 'uuid', 'uri-template', 'json-pointer', 'relative-json-pointer']);

/** {@link BLOCK_NOTES} as {@link FieldNotes}. */
const blockNotes: FieldNotes = (names) => BLOCK_NOTES.get([...names].sort().join(','));

/**
 * The JSON Schema (draft 2020-12) of a registry file: `namespace`,
 * `version`, `meta` and `entries`, each entry checked against the fields
 * of its kind. Made from the same zod schemas the loader validates with
 * (zod 4 `z.toJSONSchema`, input side), for every kind in `kinds`, so a
 * kind added to the catalog appears without further work.
 *
 * A JSON Schema cannot see everything the loader checks: references
 * between entries, dependency cycles, duplicate IDs, handler files, and
 * cross-field rules (e.g. `max_delay` not below `initial_delay`) are left
 * to `actorq validate`.
 *
 * @example
 * ```ts
 * const schema = registryJsonSchema(builtinKinds)
 * writeFileSync('actorq.schema.json', JSON.stringify(schema, null, 2))
 * ```
 */
export function registryJsonSchema(kinds: KindCatalog, options: RegistryJsonSchemaOptions = {}): JsonSchema {
  const given = options.fieldNotes ?? (() => undefined);
  // The sources' own words first, then those kept here for blocks without them.
  const notes: FieldNotes = (names) => ({ ...blockNotes(names), ...given(names) });
  const defs: Record<string, JsonSchema> = {};
  const add = (kind: string, fields: JsonSchema, withLifecycle: boolean) => {
    defs[kind] = entryDefinition(kind, fields, withLifecycle ? toJson(lifecycleSchema, notes) : undefined);
  };

  const queue = toJson(queueSchema, notes, ENTRY_NOTES[QUEUE_KIND]);
  const sections: Record<string, JsonSchema> = {};
  for (const driver of kinds.drivers.values()) {
    // The first kind registered for a key owns it, as when validating.
    sections[driver.optionsKey] ??= { ...toJson(driver.queueOptionsSchema, notes), description: `Settings of the queue on a \`${driver.kind}\` driver.` };
  }
  const queueProperties = queue['properties'] as Record<string, JsonSchema>;
  queueProperties['driver_options'] = { description: ENTRY_NOTES[QUEUE_KIND]!['driver_options'], type: 'object', properties: sections, additionalProperties: false };
  queueProperties['options'] = { description: ENTRY_NOTES[QUEUE_KIND]!['options'], type: 'object' };
  add(QUEUE_KIND, queue, false);
  add(CONSUMER_KIND, toJson(consumerSchema, notes, ENTRY_NOTES[CONSUMER_KIND]), false);
  add(POLICY_KIND, toJson(policyEntrySchema, notes), false);
  for (const driver of kinds.drivers.values()) add(driver.kind, toJson(driver.schema, notes, KIND_FIELD_NOTES[driver.kind]), true);
  // Every function kind also takes the `security` block its handler runs with, checked beside the kind's own fields.
  const security = { ...toJson(securityBlockSchema, notes), description: 'The actor, policies and groups the handler runs with.' };
  for (const fn of kinds.functions.values()) {
    const own = toJson(fn.schema, notes, KIND_FIELD_NOTES[fn.kind]);
    const properties = own['properties'] as Record<string, JsonSchema> | undefined;
    add(fn.kind, properties ? { ...own, properties: { ...properties, security } } : own, false);
  }

  const kindNames = Object.keys(defs);
  return {
    $schema: DRAFT,
    title: 'actorq registry file',
    description: 'A YAML file of drivers, queues, consumers and functions for actorq. Checked here for shape; `actorq validate` also checks references, dependency cycles and handler files.',
    type: 'object',
    required: ['namespace'],
    properties: {
      namespace: { description: CORE_NOTES['namespace'], type: 'string', pattern: NAME_PATTERN },
      version: { description: CORE_NOTES['version'], type: ['string', 'number'] },
      meta: { description: CORE_NOTES['fileMeta'] },
      entries: { description: CORE_NOTES['entries'], type: ['array', 'null'], items: { $ref: '#/$defs/entry' } },
    },
    additionalProperties: false,
    $defs: {
      entry: {
        description: 'One entry; the fields allowed depend on its `kind`.',
        type: 'object',
        required: ['name', 'kind'],
        properties: { kind: { description: CORE_NOTES['kind'], type: 'string', enum: kindNames } },
        allOf: kindNames.map((kind) => ({ if: { properties: { kind: { const: kind } }, required: ['kind'] }, then: { $ref: `#/$defs/${kind}` } })),
      },
      ...defs,
      duration: {
        description: CORE_NOTES['duration'],
        anyOf: [
          { type: 'number', minimum: 0, maximum: MAX_DURATION_MS },
          { type: 'string', pattern: DURATION_PATTERN },
        ],
      },
    },
  };
}

/** An entry of one kind: `name`, `kind`, `meta` (and `lifecycle` for drivers) beside the kind's own fields. */
function entryDefinition(kind: string, fields: JsonSchema, lifecycle: JsonSchema | undefined): JsonSchema {
  const frame: Record<string, JsonSchema> = {
    name: { description: CORE_NOTES['name'], type: 'string', pattern: NAME_PATTERN },
    kind: { const: kind },
    meta: { description: CORE_NOTES['meta'], type: ['object', 'null'] },
  };
  if (lifecycle) frame['lifecycle'] = { ...lifecycle, description: 'Start, stop and restart rules of the driver.' };
  const own = fields['properties'] as Record<string, JsonSchema> | undefined;
  if (fields['type'] !== 'object' || !own) {
    // Not a plain object (a union, say): check the frame and the kind's schema side by side.
    return { type: 'object', required: ['name', 'kind'], properties: frame, allOf: [fields] };
  }
  const required = ['name', 'kind', ...((fields['required'] as string[] | undefined) ?? [])];
  // `key:` with nothing after it reads as null, which the loader takes as "not set".
  const optional = Object.fromEntries(Object.entries({ ...frame, ...own }).map(([key, value]) => [key, required.includes(key) ? value : orNull(value)]));
  return { description: fields['description'] ?? `A \`${kind}\` entry.`, type: 'object', required, properties: optional, additionalProperties: fields['additionalProperties'] ?? false };
}

/** `node`, or null. */
function orNull(node: JsonSchema): JsonSchema {
  const type = node['type'];
  if (Array.isArray(node['enum'])) return { ...node, ...(type === undefined ? {} : { type: [type, 'null'].flat() }), enum: [...(node['enum'] as unknown[]), null] };
  if (typeof type === 'string') return { ...node, type: [type, 'null'] };
  if (Array.isArray(type)) return type.includes('null') ? node : { ...node, type: [...type, 'null'] };
  const { description, default: fallback, ...rest } = node;
  return { ...(description === undefined ? {} : { description }), ...(fallback === undefined ? {} : { default: fallback }), anyOf: [rest, { type: 'null' }] };
}

/** The input side of a zod schema as JSON Schema, tidied (see {@link tidy}) and with field descriptions. */
function toJson(schema: z.ZodType, notes: FieldNotes, extra: Readonly<Record<string, string>> = {}): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => tidy(ctx.zodSchema as unknown as z.ZodType, ctx.jsonSchema as JsonSchema, notes),
  }) as JsonSchema;
  delete json['$schema'];
  const properties = json['properties'] as Record<string, JsonSchema> | undefined;
  for (const [field, text] of Object.entries(extra)) {
    const property = properties?.[field];
    const has = property?.['description'] as string | undefined;
    // A TSDoc that gives only the default still wants a description before it.
    if (property && (has === undefined || /^Default: [^.]*\.$/.test(has))) property['description'] = has === undefined ? text : `${text} ${has}`;
  }
  if (schema === consumerSchema && properties) {
    for (const field of ['concurrency', 'prefetch'] as const) {
      Object.assign(properties[field]!, { default: CONSUMER_LIMITS[field].default, maximum: CONSUMER_LIMITS[field].max });
    }
  }
  if (schema === queueSchema && properties?.['max_message_size']) {
    Object.assign(properties['max_message_size'], { default: MESSAGE_SIZE_LIMITS.default, minimum: MESSAGE_SIZE_LIMITS.min, maximum: MESSAGE_SIZE_LIMITS.max });
  }
  return json;
}

/**
 * What `z.toJSONSchema` cannot know, added to each node: durations refer to
 * one `duration` definition (a pattern, not "string or number"); defaults
 * that sit on a transform (durations) are kept; the bounds `.int()` adds
 * (the safe-integer range) are dropped as noise; object fields get their
 * descriptions.
 */
function tidy(schema: z.ZodType, json: JsonSchema, notes: FieldNotes): void {
  const def = schema.def as { type: string; shape?: Record<string, unknown>; defaultValue?: unknown };
  // `durationSchema.refine(...)` is a copy of it with a check added: the same input side.
  if (schema === durationSchema || (def.type === 'pipe' && (def as { in?: unknown }).in === DURATION_INPUT)) {
    const { description } = json;
    for (const key of Object.keys(json)) delete json[key];
    Object.assign(json, { $ref: '#/$defs/duration' }, description === undefined ? {} : { description });
    return;
  }
  if (def.type === 'default' && json['default'] === undefined && isJsonValue(def.defaultValue)) json['default'] = def.defaultValue;
  // zod names its own string checks as formats (`starts_with`, `includes`); the pattern it also writes says the same in standard terms.
  if (typeof json['format'] === 'string' && !STANDARD_FORMATS.has(json['format'])) delete json['format'];
  if (json['minimum'] === -MAX_SAFE) delete json['minimum'];
  if (json['maximum'] === MAX_SAFE) delete json['maximum'];
  if (def.type === 'object' && def.shape) {
    const properties = json['properties'] as Record<string, JsonSchema> | undefined;
    const found = notes(Object.keys(def.shape));
    for (const [field, text] of Object.entries(found ?? {})) {
      const property = properties?.[field];
      if (property && property['description'] === undefined) property['description'] = text;
    }
  }
}

function isJsonValue(value: unknown): boolean {
  if (value === undefined || typeof value === 'function') return false;
  try {
    return JSON.stringify(value) !== undefined;
  } catch {
    return false;
  }
}
