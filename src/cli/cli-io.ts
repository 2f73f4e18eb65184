import type { KindCatalog } from '../kinds/kind-descriptors.ts';

/** Where a command writes; tests pass their own to capture output. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** What `actorq publish ... -` reads. @default process.stdin */
  readonly stdin?: NodeJS.ReadableStream;
  /** Kinds the operator commands understand (tests add their own). @default builtinKinds */
  readonly kinds?: KindCatalog;
}

/** The process's stdout and stderr. */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** A CLI command: parses its own arguments and returns the exit code (see {@link EXIT}). */
export interface CliCommand {
  /** One line for `actorq help`. */
  readonly summary: string;
  /** Usage line, e.g. `actorq validate <files|dirs...>`. */
  readonly usage: string;
  /** What `actorq <command> --help` prints after the usage line: what it does, each option, exit codes. */
  readonly help?: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/**
 * Exit codes of every `actorq` command (documented in `docs/cli.md`).
 * `actorq run` also exits with 130 or 143 on a second SIGINT or SIGTERM.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The operation failed: invalid configuration, backend unreachable, a message refused, start or stop failed. */
  failed: 1,
  /** The command line is wrong: unknown command or option, missing or invalid argument. */
  usage: 2,
  /** The queue's driver cannot do this (peek, purge, dead-letters on a driver without admin tools). */
  unsupported: 3,
} as const;
