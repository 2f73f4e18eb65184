import type { ConsumerEntry } from '../config/entry-types.ts';
import { ConfigError, type ConfigIssue } from '../errors/config-error.ts';
import type { DriverKind } from './kind-descriptors.ts';

/** What a consumer entry tells its driver's `consume` (see `ConsumeOptions`). */
export interface ConsumerDriverSettings {
  /** The consumer's `driver_options.<optionsKey>`, validated by the kind; absent when not given. */
  readonly driverOptions?: Readonly<Record<string, unknown>>;
  /** The consumer's `auto_ack`, only ever true for a kind that honours it. */
  readonly autoAck: boolean;
}

/**
 * Checks a consumer entry against the kind of its queue's driver: its
 * `driver_options` section for that kind goes through the kind's
 * `consumerOptionsSchema` (when the kind has one), and `auto_ack: true`
 * is refused for a kind that cannot honour it rather than ignored.
 *
 * @throws ConfigError naming the consumer entry and the field.
 */
export function consumerDriverSettings(entry: ConsumerEntry, kind: DriverKind): ConsumerDriverSettings {
  const issues: ConfigIssue[] = [];
  const at = { file: entry.file, line: entry.line, entryId: entry.id };
  if (entry.auto_ack === true && kind.autoAck !== true) {
    issues.push({ ...at, field: 'auto_ack', message: `auto_ack: true is not supported by ${kind.kind} (it acks after the handler, at least once); remove it` });
  }
  const section = entry.driver_options?.[kind.optionsKey];
  let driverOptions: Readonly<Record<string, unknown>> | undefined;
  if (section !== undefined) {
    if (!kind.consumerOptionsSchema) driverOptions = section as Record<string, unknown>;
    else {
      const parsed = kind.consumerOptionsSchema.safeParse(section);
      if (parsed.success) driverOptions = parsed.data;
      else for (const issue of parsed.error.issues) issues.push({ ...at, field: ['driver_options', kind.optionsKey, ...issue.path].join('.'), message: issue.message });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { ...(driverOptions !== undefined ? { driverOptions } : {}), autoAck: entry.auto_ack === true };
}
