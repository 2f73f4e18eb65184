import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import { checkFunctions } from '../functions/check-functions.ts';
import { summarizeRegistry } from '../config/summary.ts';
import type { CliCommand } from './cli-io.ts';
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
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({ args: [...args], allowPositionals: true, options: { root: { type: 'string' } } });
    } catch (error) {
      io.err(`${(error as Error).message}\nusage: ${this.usage}`);
      return 2;
    }
    if (parsed.positionals.length === 0) {
      io.err(`usage: ${this.usage}`);
      return 2;
    }
    const root = parsed.values.root;
    try {
      const registry = await loadConfig(parsed.positionals, root === undefined ? {} : { root });
      await checkFunctions(registry);
      io.out(`ok: ${summarizeRegistry(registry)}`);
      return 0;
    } catch (error) {
      reportError(error, io);
      return 1;
    }
  },
};
