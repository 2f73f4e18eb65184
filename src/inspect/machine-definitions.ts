import type { AnyStateMachine } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.ts';
import { consumerMachine } from '../../machines/consumer.machine.ts';
import { deliveryMachine } from '../../machines/delivery.machine.ts';
import { driverMachine } from '../../machines/driver.machine.ts';
import { queueMachine } from '../../machines/queue.machine.ts';
import { runtimeMachine } from '../../machines/runtime.machine.ts';
import { workerMachine } from '../../machines/worker.machine.ts';

/** Every machine in `machines/`, by its id. */
export const MACHINES: Readonly<Record<string, AnyStateMachine>> = {
  runtime: runtimeMachine,
  driver: driverMachine,
  connection: connectionMachine,
  queue: queueMachine,
  consumer: consumerMachine,
  worker: workerMachine,
  delivery: deliveryMachine,
};

/**
 * A machine's definition as JSON the Stately visualiser (stately.ai/viz,
 * "import from JSON") loads: `machine.toJSON()`, made plain (functions
 * dropped) by a JSON round trip.
 *
 * @example
 * ```ts
 * JSON.stringify(machineDefinition(MACHINES.consumer), null, 2)
 * ```
 */
export function machineDefinition(machine: AnyStateMachine): unknown {
  return JSON.parse(JSON.stringify(machine.toJSON()));
}

/** Every transition of a machine as `state --event--> target` lines, for people. */
export function machineTransitions(machine: AnyStateMachine): { from: string; event: string; to: string[] }[] {
  const out: { from: string; event: string; to: string[] }[] = [];
  const walk = (node: AnyStateMachine['root']) => {
    for (const [event, transitions] of node.transitions) {
      for (const t of transitions) out.push({ from: node.path.join('.') || '(root)', event, to: (t.target ?? []).map((s) => s.path.join('.')) });
    }
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root);
  return out;
}
