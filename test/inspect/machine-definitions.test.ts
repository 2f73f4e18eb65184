import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { assign, createActor, createMachine, initialTransition, setup, transition, type AnyMachineSnapshot, type AnyStateMachine, type AnyStateNode } from 'xstate';
import { EXAMPLE_DRIVER_INPUT, EXAMPLE_INPUTS } from '../../machines/example-inputs.ts';
import { MACHINES, machineDefinition } from '../../src/inspect/machine-definitions.ts';

/**
 * `actorq machines --json` is data a user can load back: every definition
 * goes through `createMachine` and starts, and with the implementations
 * provided (`.provide(machine.implementations)`) behaves exactly like the
 * machine it came from on every event sequence a breadth-first walk tries.
 * That second check is what keeps the machines serialisable: an inline
 * action or guard is code the JSON cannot carry, and the walk finds the
 * difference.
 */

const run = promisify(execFile);

const nodesOf = (node: AnyStateNode): AnyStateNode[] => [node, ...Object.values(node.states).flatMap(nodesOf)];

/** A child list for the runtime's `loadRegistry` result: one driver. */
const LOADED = [{ id: 'app:driver', dependsOn: [], autoStart: true, startBound: 100, stopBound: 100, kind: 'driver', input: EXAMPLE_DRIVER_INPUT }];

/** One event of each type a machine names, with the fields its actions read. */
function eventsOf(machine: AnyStateMachine) {
  const types = new Set<string>();
  for (const node of nodesOf(machine.root)) for (const type of node.transitions.keys()) types.add(type);
  return [...types].map((type) => ({ type, error: new Error('walk'), attempt: 2, output: type.endsWith('loadRegistry') ? LOADED : { state: 'running' } }));
}

/** JSON with keys sorted (a key holding undefined counts as absent, as in JSON). */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y))) : v));
const identity = (s: AnyMachineSnapshot) => canonical([s.value, s.context, s.status]);

/**
 * Walks `original` and `copy` side by side from their initial states over
 * every event, and returns the first step where they differ (or undefined).
 */
function firstDifference(original: AnyStateMachine, copy: AnyStateMachine, input: unknown): string | undefined {
  const events = eventsOf(original);
  let [a] = initialTransition(original, input);
  let [b] = initialTransition(copy, input);
  if (identity(a) !== identity(b)) return `initial: ${identity(a)} vs ${identity(b)}`;
  const seen = new Set([identity(a)]);
  const queue: [AnyMachineSnapshot, AnyMachineSnapshot, string][] = [[a, b, '']];
  while (queue.length > 0 && seen.size < 400) {
    const [sa, sb, path] = queue.shift()!;
    for (const event of events) {
      const here = `${path} ${event.type}`;
      // Only events the state takes: an unexpected error event from a child errors a machine.
      const enabled = original.getTransitionData(sa as never, event as never).length;
      if (copy.getTransitionData(sb as never, event as never).length !== enabled) return `at${here}: the copy takes a different number of transitions`;
      if (enabled === 0) continue;
      [a] = transition(original, sa as never, event as never);
      [b] = transition(copy, sb as never, event as never);
      if (identity(a) !== identity(b)) return `after${here}: ${identity(a)} vs ${identity(b)}`;
      if (seen.has(identity(a))) continue;
      seen.add(identity(a));
      queue.push([a, b, here]);
    }
  }
  return undefined;
}

describe('actorq machines --json round trip', { timeout: 30_000 }, () => {
  it('every definition loads with createMachine and starts without an error snapshot', async () => {
    const { stdout } = await run('node', ['src/cli/bin.mjs', 'machines', '--json']);
    const all = JSON.parse(stdout) as Record<string, Record<string, unknown>>;
    expect(Object.keys(all).sort()).toEqual(Object.keys(MACHINES).sort());
    for (const [name, json] of Object.entries(all)) {
      expect(JSON.stringify(json), name).not.toContain('inline:');
      const machine = createMachine(json as never);
      const actor = createActor(machine);
      const errors: unknown[] = [];
      actor.subscribe({ error: (e) => errors.push(e) });
      actor.start();
      expect(actor.getSnapshot().status, name).toBe('active');
      expect(errors, name).toEqual([]);
      expect(actor.getSnapshot().value, name).toEqual(MACHINES[name]!.config.initial);
      // The example input is documented with the definition; the context is what it gives.
      expect((json['meta'] as { exampleInput?: unknown } | undefined)?.exampleInput, name).toEqual(EXAMPLE_INPUTS[name]);
      actor.stop();
    }
  });

  it.each(Object.keys(MACHINES))('%s: the loaded definition with the implementations provided behaves like the machine', (name) => {
    const original = MACHINES[name]!;
    const copy = createMachine(machineDefinition(original) as never).provide(original.implementations as never);
    expect(firstDifference(original, copy, EXAMPLE_INPUTS[name])).toBeUndefined();
  });

  it('an inline action (code the JSON cannot carry) is caught by the walk', () => {
    // The same failure a machine in machines/ would show with an inline assign.
    const machine = setup({ types: { context: {} as { n: number } } }).createMachine({
      id: 'inline',
      initial: 'a',
      context: { n: 0 },
      states: { a: { on: { go: { target: 'b', actions: assign({ n: ({ context }) => context.n + 1 }) } } }, b: {} },
    });
    const json = machineDefinition(machine);
    expect(JSON.stringify(json)).toContain('inline:xstate.assign');
    expect(firstDifference(machine, createMachine(json as never).provide(machine.implementations as never), undefined)).toMatch(/after go/);
  });

  it('one machine by name prints its bare definition', async () => {
    const { stdout } = await run('node', ['src/cli/bin.mjs', 'machines', '--json', 'consumer']);
    const json = JSON.parse(stdout) as { id: string; context: { concurrency: number }; meta: { exampleInput: unknown } };
    expect(json.id).toBe('consumer');
    expect(json.context.concurrency).toBe(2);
    expect(createActor(createMachine(json as never)).start().getSnapshot().value).toBe('idle');
  });
});
