import { ActorqError } from './actorq-error.ts';

/** Where in the user's configuration a problem was found. */
export interface ConfigLocation {
  /** Path of the YAML file, as given or found in a directory. */
  readonly file?: string;
  /** 1-based line in `file`. */
  readonly line?: number;
  /** Registry ID (`namespace:name`) of the entry, when known. */
  readonly entryId?: string;
  /** Dotted path of the field inside the entry, e.g. `lifecycle.stop_timeout`. */
  readonly field?: string;
}

/** One problem in the configuration, with its location. */
export interface ConfigIssue extends ConfigLocation {
  /** What was wrong and what was expected, without the location. */
  readonly message: string;
}

/** Formats an issue as `file:line: entry field: message`, omitting unknown parts. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.file ? `${issue.file}${issue.line ? `:${issue.line}` : ''}: ` : '';
  const entry = issue.entryId ? `entry ${issue.entryId}` : '';
  const field = issue.field ? `${entry ? ' ' : ''}field ${issue.field}` : '';
  const subject = entry || field ? `${entry}${field}: ` : '';
  return `${where}${subject}${issue.message}`;
}

/**
 * The configuration is invalid. Carries every problem found, not only the first,
 * so a user fixes them in one pass.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof ConfigError) for (const i of e.issues) console.error(formatConfigIssue(i)) }
 * ```
 */
export class ConfigError extends ActorqError {
  /** Every problem found, in file order. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('CONFIG_INVALID', issues.map(formatConfigIssue).join('\n'));
    this.issues = issues;
  }
}
