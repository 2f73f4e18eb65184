/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logger actorq writes to and hands to handlers. Any object with these
 * four methods works (pino and console-like loggers adapt in one line).
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /**
   * Optional: whether a record at `level` would be written. actorq then
   * skips building the fields of records that would be dropped. A logger
   * without it is taken to write every level.
   */
  enabled?(level: LogLevel): boolean;
}

/** Log levels in increasing severity. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A logger that drops everything. */
export const silentLogger: Logger = withEnabled({ debug() {}, info() {}, warn() {}, error() {} }, () => false);

/** Whether `logger` writes records at `level`: yes unless it says otherwise. */
export function logEnabled(logger: Logger, level: LogLevel): boolean {
  return logger.enabled === undefined || logger.enabled(level);
}

/**
 * A logger that puts fields of its own in front of each record's and
 * hands the record to its parent. `fieldsOf(source, fields)` makes the
 * fields a record is written with; it runs only for records the parent
 * writes, so a dropped record costs a level check and nothing else.
 *
 * One class for every such logger, with plain fields, and no subclasses:
 * a subclass made per message (a handler's logger) was not optimised by
 * V8 (its constructor's optimisation kept bailing out on a dependency
 * change) and cost about 0.7 us a read instead of nearly nothing.
 *
 * Its methods use `this`: call them on the logger (`log.info(...)`), not
 * detached.
 */
export class BoundLogger<S> implements Logger {
  private readonly parent: Logger;
  private readonly source: S;
  private readonly fieldsOf: (source: S, fields: LogFields | undefined) => LogFields;

  constructor(parent: Logger, source: S, fieldsOf: (source: S, fields: LogFields | undefined) => LogFields) {
    this.parent = parent;
    this.source = source;
    this.fieldsOf = fieldsOf;
  }

  debug(message: string, fields?: LogFields): void {
    if (logEnabled(this.parent, 'debug')) this.parent.debug(message, this.fieldsOf(this.source, fields));
  }

  info(message: string, fields?: LogFields): void {
    if (logEnabled(this.parent, 'info')) this.parent.info(message, this.fieldsOf(this.source, fields));
  }

  warn(message: string, fields?: LogFields): void {
    if (logEnabled(this.parent, 'warn')) this.parent.warn(message, this.fieldsOf(this.source, fields));
  }

  error(message: string, fields?: LogFields): void {
    if (logEnabled(this.parent, 'error')) this.parent.error(message, this.fieldsOf(this.source, fields));
  }

  enabled(level: LogLevel): boolean {
    return logEnabled(this.parent, level);
  }
}

/** `bound` in front of a record's fields, a record's field winning over one of the same name. */
function withBound(bound: LogFields, fields: LogFields | undefined): LogFields {
  return fields ? { ...bound, ...fields } : bound;
}

/**
 * Returns a logger whose lines carry `bound` fields in addition to their own.
 */
export function childLogger(parent: Logger, bound: LogFields): Logger {
  return new BoundLogger(parent, bound, withBound);
}

/**
 * A logger writing one line per record to a stream (stderr by default):
 * `LEVEL message key=value ...`, dropping records below `level`.
 */
export function streamLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const line = (lvl: LogLevel) => (message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    let text = `${lvl.toUpperCase().padEnd(5)} ${message}`;
    if (fields) for (const k in fields) text += ` ${k}=${formatField(fields[k])}`;
    write(text + '\n');
  };
  return withEnabled({ debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }, (lvl) => LOG_LEVELS.indexOf(lvl) >= min);
}

/**
 * Adds `enabled` as a non-enumerable property: a logger made by spreading
 * this one and replacing a method (`{ ...silentLogger, error: report }`)
 * then does not inherit an answer that no longer describes its methods,
 * and is taken to write every level, as before `enabled` existed.
 */
function withEnabled(logger: Logger, enabled: (level: LogLevel) => boolean): Logger {
  return Object.defineProperty(logger, 'enabled', { value: enabled, enumerable: false });
}

function formatField(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /\s|"/.test(value) ? JSON.stringify(value) : value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
