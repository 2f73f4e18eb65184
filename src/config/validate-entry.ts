import { dirname } from 'node:path';
import type { z } from 'zod';
import type { ConfigIssue } from '../errors/config-error.ts';
import type { DriverKind, KindCatalog } from '../kinds/kind-descriptors.ts';
import type { ConsumerEntry, DriverEntry, Entry, EntryBase, FunctionEntry, QueueEntry } from './entry-types.ts';
import { consumerSchema, queueSchema } from './entry-schemas.ts';
import { lifecycleSchema } from './lifecycle-schema.ts';
import { CONSUMER_KIND, DRIVER_KIND_PREFIX, FUNCTION_KIND_PREFIX, QUEUE_KIND } from './registry.ts';
import { describe, isPlainObject, type RawEntry } from './yaml-source.ts';
import { zodIssuesToConfig } from './zod-issues.ts';
import { POLICY_KIND } from '../security/policy-schema.ts';
import { takeFunctionSecurity, validatePolicyEntry } from '../security/validate-policy-entry.ts';

/** What validating one entry needs to know about the others. @internal */
export interface ValidationContext {
  readonly kinds: KindCatalog;
  /** Kind of every well-formed entry by ID, to find a queue's driver kind. */
  readonly kindOf: ReadonlyMap<string, string>;
  /** Confinement root for `file://` sources (absolute), when one was given. */
  readonly root?: string;
  /** Size limit for files entries name, when one was given. */
  readonly maxFileBytes?: number;
}

/** The typed entry, or why there is none. @internal */
export interface ValidationResult {
  readonly entry?: Entry;
  readonly issues: ConfigIssue[];
}

/**
 * Validates one raw entry against the schema of its kind and produces the
 * typed entry with defaults applied. References are not checked here
 * (see `check-references.ts`). @internal
 */
export function validateEntry(raw: RawEntry, ctx: ValidationContext): ValidationResult {
  // `key:` with nothing after it reads as null in YAML; users mean "not set".
  const data = Object.fromEntries(Object.entries(raw.data).filter(([, v]) => v !== null));
  const base: EntryBase = { id: raw.id, namespace: raw.namespace, name: raw.name, kind: raw.kind, meta: raw.meta, file: raw.abs, line: raw.line };

  if (raw.kind === QUEUE_KIND) return validateQueue(raw, data, base, ctx);
  if (raw.kind === POLICY_KIND) return validatePolicyEntry(raw, data, base);
  if (raw.kind === CONSUMER_KIND) {
    const parsed = parse(consumerSchema, data, raw);
    if (!parsed.ok) return { issues: parsed.issues };
    const { timeout, ...rest } = parsed.value;
    const entry: ConsumerEntry = { ...base, kind: CONSUMER_KIND, ...rest, ...(timeout ? { timeout } : {}) };
    return { entry, issues: [] };
  }
  const driverKind = ctx.kinds.drivers.get(raw.kind);
  if (driverKind) {
    const { lifecycle, ...own } = data;
    const options = parse(driverKind.schema, own, raw);
    const life = parse(lifecycleSchema, lifecycle, raw, ['lifecycle']);
    if (!options.ok || !life.ok) return { issues: [...(options.ok ? [] : options.issues), ...(life.ok ? [] : life.issues)] };
    const entry: DriverEntry = { ...base, lifecycle: life.value, options: options.value };
    return { entry, issues: [] };
  }
  const functionKind = ctx.kinds.functions.get(raw.kind);
  if (functionKind) {
    const { own, security, issues: securityIssues } = takeFunctionSecurity(raw, data);
    const options = parse(functionKind.schema, own, raw);
    if (!options.ok || securityIssues.length > 0) return { issues: [...(options.ok ? [] : options.issues), ...securityIssues] };
    // Inline text has no directory of its own; relative sources resolve from the working directory.
    const base_dir = raw.abs === '<inline>' ? process.cwd() : dirname(raw.abs);
    const entry: FunctionEntry = {
      ...base,
      base_dir,
      ...(ctx.root === undefined ? {} : { root: ctx.root }),
      ...(ctx.maxFileBytes === undefined ? {} : { max_file_bytes: ctx.maxFileBytes }),
      options: options.value,
      ...(security ? { security } : {}),
    };
    return { entry, issues: [] };
  }
  return { issues: [{ file: raw.file, line: raw.locate(['kind']), entryId: raw.id, field: 'kind', message: unknownKindMessage(raw.kind, ctx.kinds) }] };
}

function validateQueue(raw: RawEntry, data: Record<string, unknown>, base: EntryBase, ctx: ValidationContext): ValidationResult {
  const parsed = parse(queueSchema, data, raw);
  if (!parsed.ok) return { issues: parsed.issues };
  const { driver, queue_name, codec: _codec, driver_options = {}, options, dead_letter, retry, max_message_size, lifecycle } = parsed.value;
  const issues: ConfigIssue[] = [];
  const byKey = optionsKinds(ctx.kinds);
  // Unknown until references are checked; a bad `driver` is reported there.
  const current = ctx.kinds.drivers.get(ctx.kindOf.get(driver) ?? '');
  const sections: Record<string, Record<string, unknown>> = {};

  const check = (kind: DriverKind, value: unknown, path: readonly PropertyKey[]): void => {
    const result = parse(kind.queueOptionsSchema, value ?? {}, raw, path);
    if (result.ok) sections[kind.optionsKey] = result.value;
    else issues.push(...result.issues);
  };
  // Sections for other backends are validated too: switching `driver` must not reveal old typos.
  for (const [key, value] of Object.entries(driver_options)) {
    const kind = byKey.get(key);
    if (kind) check(kind, value, ['driver_options', key]);
    else {
      const known = [...byKey.keys()].sort().join(', ');
      issues.push({ file: raw.file, line: raw.locate(['driver_options', key]), entryId: raw.id, field: `driver_options.${key}`, message: `unknown driver_options key "${key}": no driver kind uses it (known keys: ${known})` });
    }
  }
  if (options !== undefined && current) {
    if (current.optionsKey in driver_options) {
      issues.push({ file: raw.file, line: raw.locate(['options']), entryId: raw.id, field: 'options', message: `options is the legacy spelling of driver_options.${current.optionsKey}; give one of them, not both` });
    } else check(current, options, ['options']);
  } else if (options !== undefined && !isPlainObject(options)) {
    issues.push({ file: raw.file, line: raw.locate(['options']), entryId: raw.id, field: 'options', message: `expected a mapping, got ${describe(options)}` });
  }
  // Defaults of the current driver apply even when its section is absent (memory max_length 1000).
  if (current && !(current.optionsKey in sections) && !issues.length) check(current, {}, ['driver_options', current.optionsKey]);
  if (issues.length) return { issues };

  const entry: QueueEntry = {
    ...base,
    kind: QUEUE_KIND,
    driver,
    queue_name: queue_name ?? raw.name,
    driver_options: sections,
    ...(dead_letter ? { dead_letter } : {}),
    ...(retry ? { retry } : {}),
    max_message_size,
    lifecycle,
  };
  return { entry, issues: [] };
}

/** `unknown kind "x" (known kinds: ...)`, listing what the catalog offers. @internal */
export function unknownKindMessage(kind: string, kinds: KindCatalog): string {
  const known = [QUEUE_KIND, CONSUMER_KIND, POLICY_KIND, ...kinds.drivers.keys(), ...kinds.functions.keys()].sort();
  let hint = '';
  if (kind.startsWith(DRIVER_KIND_PREFIX)) hint = ' (no such driver kind)';
  else if (kind.startsWith(FUNCTION_KIND_PREFIX)) hint = ' (no such function kind)';
  return `unknown kind "${kind}"${hint}; known kinds: ${known.join(', ')}`;
}

/** Driver kinds by the `driver_options` key they own; the first registered wins. */
function optionsKinds(kinds: KindCatalog): Map<string, DriverKind> {
  const byKey = new Map<string, DriverKind>();
  for (const k of kinds.drivers.values()) if (!byKey.has(k.optionsKey)) byKey.set(k.optionsKey, k);
  return byKey;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; issues: ConfigIssue[] };

function parse<S extends z.ZodType>(schema: S, input: unknown, raw: RawEntry, prefix: readonly PropertyKey[] = []): Parsed<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: zodIssuesToConfig(result.error, raw, input, schema, prefix) };
}
