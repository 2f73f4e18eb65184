import { getInitialSnapshot, type AnyStateMachine } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.ts';
import { consumerMachine } from '../../machines/consumer.machine.ts';
import { deliveryMachine } from '../../machines/delivery.machine.ts';
import { driverMachine } from '../../machines/driver.machine.ts';
import { EXAMPLE_INPUTS } from '../../machines/example-inputs.ts';
import { queueMachine } from '../../machines/queue.machine.ts';
import { runtimeMachine } from '../../machines/runtime.machine.ts';
import { workerMachine } from '../../machines/worker.machine.ts';
import { plainCopy } from './sanitize-inspection.ts';

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

/** Keys under which a definition holds code that has no data form and is left out. */
const CODE_ONLY_KEYS: ReadonlySet<string> = new Set(['input']);

/**
 * A machine's definition as plain JSON: the configuration it was written
 * with, which `createMachine(json)` loads back and runs and the Stately
 * visualiser (stately.ai/viz, "import from JSON") draws.
 *
 * The machines name every action, guard, actor (`invoke.src`) and delay in
 * `setup()`, so the definition is data: names stay, implementations do not.
 * Two things in a definition are code and are replaced:
 *
 * - a `context` computed from `input` becomes the context that `input`
 *   gives (`input` defaults to the machine's example input, which is also
 *   kept in `meta.exampleInput`);
 * - an invoke's `input` expression is left out (the loaded machine's
 *   actors then get no input).
 *
 * A function anywhere else (an inline action or guard added later) is kept
 * as a name, `inline:<its type>`, and the round-trip test fails on it.
 *
 * To run a loaded definition with the real behaviour, provide the
 * implementations: `createMachine(json).provide(machine.implementations)`.
 *
 * @example
 * ```ts
 * const json = machineDefinition(MACHINES.consumer)
 * const actor = createActor(createMachine(json)).start()
 * actor.getSnapshot().value // 'idle'
 * ```
 */
export function machineDefinition(machine: AnyStateMachine, input: unknown = EXAMPLE_INPUTS[machine.id]): Record<string, unknown> {
  const config = machine.config as Record<string, unknown>;
  const out = plainConfig(config) as Record<string, unknown>;
  if (typeof config['context'] === 'function') out['context'] = plainCopy(getInitialSnapshot(machine, input).context, 20, new WeakSet(), false);
  if (input !== undefined) out['meta'] = { ...(out['meta'] as object | undefined), exampleInput: input };
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

/** A copy of a machine config with its code replaced by names (see {@link machineDefinition}). */
function plainConfig(value: unknown): unknown {
  if (typeof value === 'function') return `inline:${String((value as { type?: unknown }).type ?? value.name ?? 'function')}`;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => plainConfig(v));
  // Actor logic given inline as `src` (ours are named): keep a name, not its insides.
  if (typeof (value as { transition?: unknown }).transition === 'function') return `inline:${(value as { id?: string }).id ?? 'logic'}`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (CODE_ONLY_KEYS.has(k) && typeof v === 'function') continue;
    out[k] = plainConfig(v);
  }
  return out;
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
