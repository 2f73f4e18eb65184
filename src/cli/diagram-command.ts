import { loadConfig } from '../config/load-config.ts';
import { topologyDiagram } from '../inspect/topology-diagram.ts';
import type { CliCommand } from './cli-io.ts';
import { reportError } from './report-error.ts';

/**
 * `actorq diagram <files|dirs...>`: the configured topology as a Mermaid
 * flowchart on stdout (paste into a ```mermaid block or mermaid.live).
 */
export const diagramCommand: CliCommand = {
  summary: 'print the configured topology as a Mermaid flowchart',
  usage: 'actorq diagram <files|dirs...>',
  async run(args, io) {
    if (args.length === 0) {
      io.err(`usage: ${this.usage}`);
      return 2;
    }
    try {
      io.out(topologyDiagram(await loadConfig(args)));
      return 0;
    } catch (error) {
      reportError(error, io);
      return 1;
    }
  },
};
