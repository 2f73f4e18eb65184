import { ConfigError } from '../errors/config-error.ts';
import { NotFoundError } from '../errors/not-found-error.ts';
import type { Registry } from './registry.ts';
import { referencesOf } from './references.ts';

/** Direct dependencies per entry and each entry's file position. */
interface Graph {
  readonly position: ReadonlyMap<string, number>;
  readonly deps: ReadonlyMap<string, readonly string[]>;
}

// Registries are immutable, so the graph is computed once per registry.
const graphs = new WeakMap<Registry, Graph>();

function graphOf(registry: Registry): Graph {
  let graph = graphs.get(registry);
  if (!graph) {
    const position = new Map<string, number>();
    const deps = new Map<string, string[]>();
    for (const [id, entry] of registry.entries) {
      position.set(id, position.size);
      // Targets outside the registry (functions supplied in code) have nothing to start.
      const targets = referencesOf(entry).map((r) => r.to).filter((to) => registry.entries.has(to));
      deps.set(id, [...new Set(targets)]);
    }
    graph = { position, deps };
    graphs.set(registry, graph);
  }
  return graph;
}

function depsOrThrow(graph: Graph, id: string): readonly string[] {
  const deps = graph.deps.get(id);
  if (!deps) throw new NotFoundError('entry', id);
  return deps;
}

/**
 * Direct dependencies of an entry: what its fields reference (consumer:
 * queue and func; queue: driver and dead-letter queue) and its
 * `lifecycle.requires`/`depends_on`, limited to entries in the registry.
 *
 * @throws NotFoundError when `id` is not in the registry.
 * @example
 * ```ts
 * dependenciesOf(registry, 'app.queue:task_consumer') // ['app.queue:tasks', 'app.queue:task_handler']
 * ```
 */
export function dependenciesOf(registry: Registry, id: string): string[] {
  return [...depsOrThrow(graphOf(registry), id)];
}

/**
 * The order to start `ids` and everything they depend on, transitively:
 * every entry comes after its dependencies (a consumer after its queue,
 * that queue's driver and its function). Among entries free to go, the one
 * written first goes first, so the order is the same on every run.
 * Without `ids`, orders the whole registry.
 *
 * @throws NotFoundError for an unknown ID; ConfigError if the registry has a
 *   cycle (impossible for registries from `loadConfig`, which rejects them).
 * @example
 * ```ts
 * startOrder(registry, ['app.queue:task_consumer'])
 * // ['app.queue:memory_driver', 'app.queue:tasks', 'app.queue:task_handler', 'app.queue:task_consumer']
 * ```
 */
export function startOrder(registry: Registry, ids?: Iterable<string>): string[] {
  const graph = graphOf(registry);
  const wanted = new Set<string>();
  const visit = (id: string): void => {
    if (wanted.has(id)) return;
    wanted.add(id);
    for (const dep of depsOrThrow(graph, id)) visit(dep);
  };
  for (const id of ids ?? registry.entries.keys()) visit(id);

  // Kahn's algorithm; `ready` is kept sorted by file position for the tie-break.
  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const id of wanted) {
    const deps = graph.deps.get(id)!;
    pending.set(id, deps.length);
    for (const dep of deps) dependents.set(dep, [...(dependents.get(dep) ?? []), id]);
  }
  const pos = (id: string) => graph.position.get(id)!;
  const ready = [...wanted].filter((id) => pending.get(id) === 0).sort((a, b) => pos(a) - pos(b));
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const next of dependents.get(id) ?? []) {
      const left = pending.get(next)! - 1;
      pending.set(next, left);
      if (left === 0) insertSorted(ready, next, pos);
    }
  }
  if (order.length < wanted.size) {
    throw new ConfigError(findCycles(registry).map((cycle) => ({ entryId: cycle[0], message: cycleMessage(cycle) })));
  }
  return order;
}

/**
 * The order to stop `ids` (or the whole registry): the reverse of
 * {@link startOrder}, so every entry stops before what it depends on (a
 * consumer before its queue's driver).
 *
 * @example
 * ```ts
 * stopOrder(registry) // consumers first, drivers last
 * ```
 */
export function stopOrder(registry: Registry, ids?: Iterable<string>): string[] {
  return startOrder(registry, ids).reverse();
}

/**
 * Every dependency cycle, each as the IDs along it starting from the entry
 * written first (`[a, b]` means a -> b -> a). A self-reference is a cycle
 * of one. @internal
 */
export function findCycles(registry: Registry): string[][] {
  const { deps, position } = graphOf(registry);
  const cycles: string[][] = [];
  for (const component of stronglyConnected(deps)) {
    const [first] = component.sort((a, b) => position.get(a)! - position.get(b)!);
    if (component.length > 1 || deps.get(first!)!.includes(first!)) cycles.push(shortestCycle(first!, new Set(component), deps));
  }
  return cycles.sort((a, b) => position.get(a[0]!)! - position.get(b[0]!)!);
}

/** `dependency cycle: a -> b -> a`. @internal */
export function cycleMessage(cycle: readonly string[]): string {
  return `dependency cycle: ${[...cycle, cycle[0]].join(' -> ')}`;
}

/** Breadth-first search from `start` back to itself inside its component. */
function shortestCycle(start: string, within: ReadonlySet<string>, deps: ReadonlyMap<string, readonly string[]>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const next of deps.get(id)!) {
      if (next === start) {
        const path = [id];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return path;
      }
      if (within.has(next) && !parent.has(next)) parent.set(next, id), queue.push(next);
    }
  }
  return [start];
}

/** Tarjan's algorithm, iterative so that long dependency chains cannot overflow the stack. */
function stronglyConnected(deps: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const root of deps.keys()) {
    if (index.has(root)) continue;
    const work: [string, number][] = [[root, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const [id, i] = frame;
      if (i === 0) index.set(id, index.size), low.set(id, index.get(id)!), stack.push(id), onStack.add(id);
      const next = deps.get(id)![i];
      if (next !== undefined) {
        frame[1]++;
        if (!index.has(next)) work.push([next, 0]);
        else if (onStack.has(next)) low.set(id, Math.min(low.get(id)!, index.get(next)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent[0], Math.min(low.get(parent[0])!, low.get(id)!));
      if (low.get(id) === index.get(id)) {
        const component: string[] = [];
        let member: string;
        do (member = stack.pop()!), onStack.delete(member), component.push(member);
        while (member !== id);
        out.push(component);
      }
    }
  }
  return out;
}

function insertSorted(list: string[], id: string, pos: (id: string) => number): void {
  let i = list.length;
  while (i > 0 && pos(list[i - 1]!) > pos(id)) i--;
  list.splice(i, 0, id);
}
