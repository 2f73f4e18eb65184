/** Where a command writes; tests pass their own to capture output. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout and stderr. */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** A CLI command: parses its own arguments and returns the exit code. */
export interface CliCommand {
  /** One line for `actorq help`. */
  readonly summary: string;
  /** Usage line, e.g. `actorq validate <files|dirs...>`. */
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}
