import { loadConfig } from '../config/load-config.ts';
import { loadFunctions } from '../functions/load-functions.ts';
import { summarizeRegistry } from '../config/summary.ts';
import type { CliCommand } from './cli-io.ts';
import { reportError } from './report-error.ts';

/**
 * `actorq validate <files|dirs...>`: loads the configuration and every
 * handler exactly as `run` would, without starting anything. Prints every
 * problem (exit 1) or a one-line summary (exit 0).
 */
export const validateCommand: CliCommand = {
  summary: 'check configuration files and handlers without running them',
  usage: 'actorq validate <files|dirs...>',
  async run(args, io) {
    if (args.length === 0) {
      io.err(`usage: ${this.usage}`);
      return 2;
    }
    try {
      const registry = await loadConfig(args);
      const functions = await loadFunctions(registry);
      await Promise.all([...functions.values()].map((f) => f.close?.()));
      io.out(`ok: ${summarizeRegistry(registry)}`);
      return 0;
    } catch (error) {
      reportError(error, io);
      return 1;
    }
  },
};
