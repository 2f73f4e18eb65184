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
}

/** Log levels in increasing severity. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Returns a logger whose lines carry `bound` fields in addition to their own.
 */
export function childLogger(parent: Logger, bound: LogFields): Logger {
  const merge = (fields?: LogFields) => (fields ? { ...bound, ...fields } : bound);
  return {
    debug: (m, f) => parent.debug(m, merge(f)),
    info: (m, f) => parent.info(m, merge(f)),
    warn: (m, f) => parent.warn(m, merge(f)),
    error: (m, f) => parent.error(m, merge(f)),
  };
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
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
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
