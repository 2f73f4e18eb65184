import { loadConfig } from '../config/load-config.ts';
import { topologyDiagram } from '../inspect/topology-diagram.ts';
import type { CliCommand } from './cli-io.ts';
import { parseCommandArgs, usageError } from './command-args.ts';
import { reportError } from './report-error.ts';

/**
 * `actorq diagram <files|dirs...>`: the configured topology as a Mermaid
 * flowchart on stdout (paste into a ```mermaid block or mermaid.live).
 */
export const diagramCommand: CliCommand = {
  summary: 'print the configured topology as a Mermaid flowchart',
  usage: 'actorq diagram <files|dirs...>',
  async run(args, io) {
    const parsed = parseCommandArgs(this, args, {}, io);
    if ('exit' in parsed) return parsed.exit;
    if (parsed.positionals.length === 0) return usageError(this, 'no configuration given', io);
    try {
      io.out(topologyDiagram(await loadConfig(parsed.positionals)));
      return 0;
    } catch (error) {
      reportError(error, io);
      return 1;
    }
  },
};
