import { loadConfig } from '../config/load-config.ts';
import { checkFunctions } from '../functions/check-functions.ts';
import { summarizeRegistry } from '../config/summary.ts';
import { EXIT, type CliCommand } from './cli-io.ts';
import { parseCommandArgs, usageError } from './command-args.ts';
import { reportError } from './report-error.ts';

/**
 * `actorq validate [--root <dir>] <files|dirs...>`: loads the configuration
 * and checks every handler WITHOUT running any of its code: JavaScript is
 * parsed, Lua compiled, neither executed, so a handler's top-level side
 * effects do not happen and a module that never finishes loading cannot
 * hang the command. Prints every problem (exit 1) or a one-line summary
 * (exit 0). `--root` widens (or narrows) where `file://` sources may be.
 */
export const validateCommand: CliCommand = {
  summary: 'check configuration files and handlers without running them',
  usage: 'actorq validate [--root <dir>] <files|dirs...>',
  help: `Loads the configuration and checks every entry and every handler file:
JavaScript is parsed and Lua compiled, neither is run.

options:
  --root <dir>   directory every file:// source must stay inside
                 (default: the directory of the YAML file naming it)

exit codes: 0 valid (prints a one-line summary), 1 invalid (prints every
problem with file, line, entry and field), 2 usage error.`,
  async run(args, io) {
    const parsed = parseCommandArgs(this, args, { root: { type: 'string' } }, io);
    if ('exit' in parsed) return parsed.exit;
    if (parsed.positionals.length === 0) return usageError(this, 'no configuration given: name YAML files or directories', io);
    const root = parsed.values['root'] as string | undefined;
    try {
      const registry = await loadConfig(parsed.positionals, root === undefined ? {} : { root });
      await checkFunctions(registry);
      io.out(`ok: ${summarizeRegistry(registry)}`);
      return EXIT.ok;
    } catch (error) {
      reportError(error, io);
      return EXIT.failed;
    }
  },
};
