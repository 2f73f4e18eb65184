import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestName } from '../ops/closest-name.ts';
import { EXIT, type CliCommand, type CliIo } from './cli-io.ts';

/** `parseArgs` option specs of one command. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommandArgs} returns: the parsed values, or the exit code of a usage error it already reported. */
export type ParsedArgs = { readonly values: Record<string, unknown>; readonly positionals: string[] } | { readonly exit: number };

/**
 * Parses a command's arguments strictly: an unknown option is named in the
 * error (with the nearest known one when it looks like a typo) and never
 * taken for a file name; an option missing its value says so. Usage errors
 * print the usage line and give exit code 2.
 */
export function parseCommandArgs(command: CliCommand, args: readonly string[], options: OptionSpecs, io: CliIo): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: values as Record<string, unknown>, positionals };
  } catch (error) {
    return { exit: usageError(command, explainParseError(error, options), io) };
  }
}

/** Reports a usage problem with the command's usage line; returns exit code 2. */
export function usageError(command: CliCommand, problem: string, io: CliIo): number {
  io.err(`${problem}\nusage: ${command.usage}\n(actorq ${command.usage.split(' ')[1]} --help for more)`);
  return EXIT.usage;
}

/** `parseArgs`'s error in our words, naming the option. */
function explainParseError(error: unknown, options: OptionSpecs): string {
  const e = error as { code?: string; message?: string };
  const quoted = /'(-[^' ,]*)/.exec(e.message ?? '')?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) {
    const known = Object.keys(options).map((name) => `--${name}`);
    const near = closestName(quoted.replace(/=.*$/, ''), known);
    return `unknown option ${quoted}${near ? ` (did you mean ${near}?)` : ''}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted) {
    return /does not take/.test(e.message ?? '') ? `option ${quoted} takes no value` : `option ${quoted} needs a value`;
  }
  return e.message ?? String(error);
}

/** Whether `args` ask for help (`--help` or `-h` before a `--`). */
export function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** The text `actorq <command> --help` prints. */
export function helpText(name: string, command: CliCommand): string {
  return [`usage: ${command.usage}`, '', command.summary, ...(command.help ? ['', command.help.trimEnd()] : [])].join('\n');
}
