import { createTestModel, type TestModel } from 'xstate/graph';
import type { AnyStateMachine, EventObject, Snapshot } from 'xstate';

/** One generated test: reach `from`, then take `event`. */
export interface TransitionPath {
  readonly description: string;
  readonly steps: readonly { event: EventObject; state: Snapshot<unknown> & { value: unknown } }[];
}

const serialize = (s: Snapshot<unknown>) => JSON.stringify((s as { value?: unknown }).value);

/**
 * Paths from `xstate/graph` that cover every transition of `machine`, not
 * only every state: for each state (reached by its shortest path) and each
 * event it accepts, one path that ends with that event. States are
 * serialised by value only, so traversal ends even where context is
 * unbounded (counters), and `limit` guards it anyway.
 *
 * `createTestModel` rejects machines with `invoke`/`after`: pass an
 * abstract model of the same states with explicit events for those.
 */
export function transitionPaths(machine: AnyStateMachine, events: readonly EventObject[]): { model: TestModel<any, any, any>; paths: TransitionPath[] } {
  const model = createTestModel(machine, { events: events as never, serializeState: serialize as never, limit: 10_000 });
  const shortest = new Map<string, TransitionPath['steps']>();
  for (const path of model.getShortestPaths({ allowDuplicatePaths: true })) shortest.set(serialize(path.state), path.steps as never);
  const adjacency = model.getAdjacencyMap();
  const paths: TransitionPath[] = [];
  for (const [key, { state, transitions }] of Object.entries(adjacency)) {
    const prefix = shortest.get(serialize(state)) ?? [];
    for (const { event, state: next } of Object.values(transitions) as { event: EventObject; state: Snapshot<unknown> }[]) {
      if (!(state as { can(e: EventObject): boolean }).can(event)) continue;
      paths.push({ description: `${key} --${event.type}--> ${serialize(next)}`, steps: [...prefix, { event, state: next }] as never });
    }
  }
  return { model, paths };
}

/** Runs `path` step by step: `exec` drives the system, then `check` asserts it matches the model's state. */
export async function runPath(
  path: TransitionPath,
  exec: (event: EventObject, from: string, to: string) => Promise<void>,
  check: (state: string) => Promise<void>,
  initial: string,
): Promise<void> {
  let from = initial;
  await check(from);
  for (const { event, state } of path.steps) {
    if (event.type === 'xstate.init') continue;
    const to = String(state.value);
    try {
      await exec(event, from, to);
      await check(to);
    } catch (error) {
      throw new Error(`step ${from} --${event.type}--> ${to} (path ${path.description}): ${(error as Error).message}`, { cause: error });
    }
    from = to;
  }
}
