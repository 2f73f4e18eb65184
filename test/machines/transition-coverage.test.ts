import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine, type AnyStateNode } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.ts';
import { consumerMachine } from '../../machines/consumer.machine.ts';
import { deliveryMachine } from '../../machines/delivery.machine.ts';
import { driverMachine } from '../../machines/driver.machine.ts';
import { queueMachine } from '../../machines/queue.machine.ts';
import { workerMachine } from '../../machines/worker.machine.ts';

/**
 * Every transition written in a lifecycle machine can be taken: a
 * breadth-first walk from the initial state, over every event the machine
 * names (including invoke done/error and `after` events), takes each
 * defined transition at least once. A transition no walk reaches is dead
 * and must go (or be explained here). The runtime machine sends to its
 * children, which a pure walk cannot follow; the model suites run it on the
 * real runtime instead (`test/model/`).
 */
const restart = { initial_delay: 10, max_delay: 10, backoff_factor: 2, jitter: 0, max_attempts: 2 };
const service = { id: 'app:x', start_timeout: 100, stop_timeout: 100, restart };

const MACHINES: [string, AnyStateMachine, unknown][] = [
  ['driver', driverMachine, service],
  ['queue', queueMachine, { id: 'app:q', driver: 'app:d', start_timeout: 100, stop_timeout: 100 }],
  ['consumer', consumerMachine, { ...service, concurrency: 1 }],
  ['worker', workerMachine, { consumerId: 'app:c', index: 0 }],
  ['connection', connectionMachine, undefined],
  ['delivery', deliveryMachine, undefined],
];

const nodesOf = (node: AnyStateNode): AnyStateNode[] => [node, ...Object.values(node.states).flatMap(nodesOf)];
const key = (source: AnyStateNode, eventType: string, targets: readonly AnyStateNode[] | undefined, index: number) =>
  `${source.path.join('.') || '(root)'} --${eventType}[${index}]--> ${(targets ?? []).map((t) => t.path.join('.')).join(',') || '(self)'}`;

/** Every transition the definition holds, by key. */
function definedTransitions(machine: AnyStateMachine): Set<string> {
  const out = new Set<string>();
  for (const node of nodesOf(machine.root)) {
    for (const [eventType, list] of node.transitions) list.forEach((t, i) => out.add(key(node, eventType, t.target, i)));
  }
  return out;
}

/** An event of each type, with the fields handlers read. */
function eventsOf(machine: AnyStateMachine): { type: string; [k: string]: unknown }[] {
  const types = new Set<string>();
  for (const node of nodesOf(machine.root)) for (const eventType of node.transitions.keys()) types.add(eventType);
  return [...types].map((type) => ({ type, error: new Error('walk'), attempt: 1, output: undefined }));
}

/** The transitions a breadth-first walk takes, by key. */
function walk(machine: AnyStateMachine, input: unknown): Set<string> {
  const taken = new Set<string>();
  const events = eventsOf(machine);
  const [initial] = initialTransition(machine, input);
  const seen = new Set<string>();
  const queue: AnyMachineSnapshot[] = [initial as AnyMachineSnapshot];
  const identity = (s: AnyMachineSnapshot) => JSON.stringify([s.value, (s.context as { attempts?: number } | undefined)?.attempts ?? 0, (s.context as { everConnected?: boolean } | undefined)?.everConnected ?? false]);
  seen.add(identity(initial as AnyMachineSnapshot));
  while (queue.length > 0 && seen.size < 2000) {
    const snapshot = queue.shift()!;
    for (const event of events) {
      const enabled = machine.getTransitionData(snapshot as never, event as never);
      if (enabled.length === 0) continue;
      for (const t of enabled) {
        const list = t.source.transitions.get(t.eventType) ?? [];
        taken.add(key(t.source, t.eventType, t.target, list.indexOf(t)));
      }
      const [next] = transition(machine, snapshot as never, event as never);
      if (seen.has(identity(next as AnyMachineSnapshot))) continue;
      seen.add(identity(next as AnyMachineSnapshot));
      queue.push(next as AnyMachineSnapshot);
    }
  }
  return taken;
}

describe('every transition of every lifecycle machine is reachable', () => {
  it.each(MACHINES)('%s machine', { timeout: 60_000 }, (_name, machine, input) => {
    const defined = definedTransitions(machine);
    const taken = walk(machine, input);
    expect([...defined].filter((t) => !taken.has(t))).toEqual([]);
  });
});
