import { EXIT, processIo, type CliCommand, type CliIo } from './cli-io.ts';
import { helpText, wantsHelp } from './command-args.ts';
import { closestName } from '../ops/closest-name.ts';
import { actorqVersion } from './version.ts';
import { publishCommand } from './publish-command.ts';
import { infoCommand } from './info-command.ts';
import { peekCommand } from './peek-command.ts';
import { purgeCommand } from './purge-command.ts';
import { deadLettersCommand } from './dead-letters-command.ts';
import { runCommand } from './run-command.ts';
import { validateCommand } from './validate-command.ts';
import { diagramCommand } from './diagram-command.ts';
import { machinesCommand } from './machines-command.ts';
import { statusCommand } from './status-command.ts';
import { schemaCommand } from './schema-command.ts';

/** Every `actorq` subcommand. */
export const COMMANDS: Readonly<Record<string, CliCommand>> = {
  run: runCommand,
  validate: validateCommand,
  diagram: diagramCommand,
  machines: machinesCommand,
  status: statusCommand,
  publish: publishCommand,
  info: infoCommand,
  peek: peekCommand,
  purge: purgeCommand,
  'dead-letters': deadLettersCommand,
  schema: schemaCommand,
};

/**
 * Runs the `actorq` CLI with `argv` (without `node` and the script) and
 * returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['validate', 'config/'])
 * ```
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(actorqVersion());
    return EXIT.ok;
  }
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    // `actorq help <command>` is that command's --help.
    const about = name === 'help' && args[0] !== undefined ? COMMANDS[args[0]] : undefined;
    if (about) {
      io.out(helpText(args[0]!, about));
      return EXIT.ok;
    }
    if (name === 'help' && args[0] !== undefined) return unknownCommand(args[0], io);
    io.out(overview());
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) return unknownCommand(name, io);
  // Every command answers --help the same way, whatever its own parsing.
  if (wantsHelp(args)) {
    io.out(helpText(name, command));
    return EXIT.ok;
  }
  return command.run(args, io);
}

/** `actorq help`: every command with its summary, and the global flags. */
function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)} ${c.summary}`);
  return [
    'usage: actorq <command> [args]',
    '',
    'commands:',
    ...lines,
    '',
    'actorq <command> --help   what a command does, its options and exit codes',
    'actorq --version          the installed version',
    '',
    'exit codes: 0 done, 1 failed, 2 usage error, 3 not supported by the driver',
  ].join('\n');
}

function unknownCommand(name: string, io: CliIo): number {
  const near = closestName(name, Object.keys(COMMANDS));
  const hint = near ? ` (did you mean ${near}?)` : '';
  io.err(`unknown command "${name}"${hint}\nrun actorq help for the list of commands`);
  return EXIT.usage;
}
