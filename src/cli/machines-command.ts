import { MACHINES, machineDefinition, machineTransitions } from '../inspect/machine-definitions.ts';
import type { CliCommand } from './cli-io.ts';

/**
 * `actorq machines [--json] [name...]`: the lifecycle machines from
 * `machines/`. With `--json`, an object of machine id -> definition (or the
 * bare definition when one name is given): plain machine configs, with
 * actions, guards, actors and delays by name and an example input in
 * `meta.exampleInput`, which `createMachine` loads back and the Stately
 * visualiser imports; without, every transition as text.
 */
export const machinesCommand: CliCommand = {
  summary: 'print the lifecycle machines (--json: definitions for the Stately visualiser)',
  usage: `actorq machines [--json] [${Object.keys(MACHINES).join('|')}...]`,
  async run(args, io) {
    const json = args.includes('--json');
    const names = args.filter((a) => a !== '--json');
    const unknown = names.filter((n) => !(n in MACHINES));
    if (unknown.length > 0 || names.some((n) => n.startsWith('-'))) {
      io.err(`unknown machine ${unknown.join(', ')}\nusage: ${this.usage}`);
      return 2;
    }
    const selected = names.length > 0 ? names : Object.keys(MACHINES);
    if (json) {
      const out = names.length === 1 ? machineDefinition(MACHINES[names[0]!]!) : Object.fromEntries(selected.map((n) => [n, machineDefinition(MACHINES[n]!)]));
      io.out(JSON.stringify(out, null, 2));
      return 0;
    }
    for (const name of selected) {
      io.out(`${name}:`);
      for (const t of machineTransitions(MACHINES[name]!)) io.out(`  ${t.from} --${t.event}--> ${t.to.join(', ') || '(internal)'}`);
    }
    return 0;
  },
};
