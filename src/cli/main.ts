import { processIo, type CliCommand, type CliIo } from './cli-io.ts';
import { runCommand } from './run-command.ts';
import { validateCommand } from './validate-command.ts';
import { diagramCommand } from './diagram-command.ts';
import { machinesCommand } from './machines-command.ts';
import { statusCommand } from './status-command.ts';

/** Every `actorq` subcommand. */
export const COMMANDS: Readonly<Record<string, CliCommand>> = {
  run: runCommand,
  validate: validateCommand,
  diagram: diagramCommand,
  machines: machinesCommand,
  status: statusCommand,
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
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
    const help = `usage: actorq <command> [args]\n\ncommands:\n${lines.join('\n')}`;
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      io.out(help);
      return 0;
    }
    io.err(`unknown command "${name}"\n${help}`);
    return 2;
  }
  return command.run(args, io);
}
