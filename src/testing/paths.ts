import { getInitialSnapshot, getNextSnapshot, type AnyStateMachine, type EventObject, type Snapshot } from 'xstate';
import { createTestModel, type TestModel } from 'xstate/graph';

/** One step of a path: the event taken and the model state it leads to. */
export interface PathStep {
  readonly event: EventObject;
  readonly state: Snapshot<unknown> & { readonly value: unknown; readonly context?: unknown };
}

/** A path through a model: start in its initial state, take the steps in order. */
export interface TransitionPath {
  readonly description: string;
  readonly steps: readonly PathStep[];
}

/** A model state as a path names it: the state value as JSON. */
const serialize = (s: Snapshot<unknown>) => JSON.stringify((s as { value?: unknown }).value);

/** An event as a path names it: its type, then its other fields (`STOP(close=hang)`). */
export function eventLabel(event: EventObject): string {
  const fields = Object.entries(event).filter(([k]) => k !== 'type');
  return fields.length === 0 ? event.type : `${event.type}(${fields.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')})`;
}

/** The events {@link transitionPaths} tries: a list for every state, or a list per model state (`String(value)`). */
export type PathEvents = readonly EventObject[] | ((state: string) => readonly EventObject[]);

/** Every event type a model names anywhere, as events without fields. */
export function modelEvents(model: AnyStateMachine): EventObject[] {
  const types = new Set<string>();
  const walk = (node: AnyStateMachine['root']) => {
    for (const type of node.transitions.keys()) types.add(type);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(model.root);
  return [...types].filter((t) => !t.startsWith('xstate.')).map((type) => ({ type }));
}

/**
 * Paths from `xstate/graph` that cover every transition of `model`, not
 * only every state: for each state (reached by its shortest path) and each
 * event it accepts, one path that ends with that event. `events` limits
 * the events used (a backend that cannot produce some of them) and gives
 * variants (the same type with different fields, each a path of its own);
 * as a function it does so per model state. All the model names, without
 * fields, by default. States are told apart by value only, so the
 * traversal ends even where context counts without bound, and a limit of
 * 10,000 states guards it anyway.
 *
 * `createTestModel` rejects machines with `invoke`/`after`: pass one of the
 * abstract models of this kit, not a machine from `machines/`.
 *
 * @example
 * ```ts
 * const { paths } = transitionPaths(consumerModel, [{ type: 'START' }, { type: 'STOP' }])
 * paths.map((p) => p.description) // ['"idle" --START--> "running"', '"running" --STOP--> "stopped"', ...]
 * ```
 */
export function transitionPaths(model: AnyStateMachine, events: PathEvents = modelEvents(model)): { model: TestModel<any, any, any>; paths: TransitionPath[] } {
  const eventsIn = (state: Snapshot<unknown>) => (typeof events === 'function' ? events(String((state as { value?: unknown }).value)) : events);
  // `events` of createTestModel only gives variants; `filterEvents` is what leaves the others out.
  const testModel = createTestModel(model, {
    events: ((state: Snapshot<unknown>) => eventsIn(state)) as never,
    filterEvents: ((state: Snapshot<unknown>, event: EventObject) => eventsIn(state).some((e) => eventLabel(e) === eventLabel(event))) as never,
    serializeState: serialize as never,
    limit: 10_000,
  });
  const shortest = new Map<string, readonly PathStep[]>();
  for (const path of testModel.getShortestPaths({ allowDuplicatePaths: true } as never)) shortest.set(serialize(path.state), path.steps as never);
  const paths: TransitionPath[] = [];
  for (const [key, { state, transitions }] of Object.entries(testModel.getAdjacencyMap())) {
    const prefix = shortest.get(serialize(state)) ?? [];
    for (const { event, state: next } of Object.values(transitions) as { event: EventObject; state: PathStep['state'] }[]) {
      if (!(state as { can(e: EventObject): boolean }).can(event)) continue;
      paths.push({ description: `${key} --${eventLabel(event)}--> ${serialize(next)}`, steps: [...prefix, { event, state: next }] });
    }
  }
  return { model: testModel, paths };
}

/**
 * A hand-written path (a scenario longer than the generated ones, such as
 * a retry loop) through `model`: every event must be one the model accepts
 * in the state reached so far, and the states come from the model, so a
 * scenario cannot disagree with the specification. Throws naming the step
 * that the model refuses.
 *
 * @example
 * ```ts
 * scenarioPath(connectionModel, 'reconnects twice', ['OPEN', 'CONNECT_OK', 'LOSE', 'BACKOFF_ELAPSED', 'CONNECT_OK'])
 * ```
 */
export function scenarioPath(model: AnyStateMachine, description: string, events: readonly (string | EventObject)[], input?: unknown): TransitionPath {
  let snapshot = getInitialSnapshot(model, input);
  const steps: PathStep[] = [{ event: { type: 'xstate.init' }, state: snapshot }];
  for (const item of events) {
    const event = typeof item === 'string' ? { type: item } : item;
    if (!snapshot.can(event)) throw new Error(`scenario "${description}": model state ${serialize(snapshot)} does not accept ${eventLabel(event)}`);
    snapshot = getNextSnapshot(model, snapshot, event);
    steps.push({ event, state: snapshot });
  }
  return { description: `scenario: ${description}`, steps };
}

/**
 * The `meta` of the model states a path step is in, merged (the models of
 * this kit put there what the real actor shows in that state, e.g.
 * `meta.machine`, the actor's state value).
 *
 * @example
 * ```ts
 * await runPath(path, { exec, check: (state, step) => t.waitForState('app:c', stateMeta(step.state).machine) })
 * ```
 */
export function stateMeta(snapshot: PathStep['state']): Record<string, any> {
  const getMeta = (snapshot as { getMeta?: () => Record<string, unknown> }).getMeta;
  return Object.assign({}, ...Object.values(getMeta?.call(snapshot) ?? {}));
}

/** How {@link runPath} drives the system under test and checks it. */
export interface PathRunner {
  /**
   * Makes the system take `event` (call the runtime, inject a fault, finish
   * a handler...), waiting for whatever the step must have done. `from`
   * and `to` are the model states (`String(value)`) around the step.
   */
  exec(event: EventObject, from: string, to: string): Promise<void> | void;
  /** Asserts that the system is in model state `state` (throws otherwise). Called before the first step and after each. */
  check(state: string, step: PathStep): Promise<void> | void;
}

/**
 * Runs one path: checks the initial state, then for each step drives the
 * system (`exec`) and checks the state the model reached (`check`). A
 * failure names the step and the path, with the original error as
 * `cause`. Takes the paths of {@link transitionPaths}, {@link scenarioPath}
 * and `xstate/graph`'s own (`getShortestPaths()`, `getSimplePaths()`).
 *
 * @example
 * ```ts
 * await runPath(path, {
 *   exec: (event) => (event.type === 'START' ? t.runtime.startEntry('app:c') : t.runtime.stopEntry('app:c')),
 *   check: (state) => t.waitForState('app:c', state),
 * })
 * ```
 */
export async function runPath(path: TransitionPath, runner: PathRunner): Promise<void> {
  const [first, ...rest] = path.steps;
  const stepsAfterInit = first && first.event.type === 'xstate.init' ? rest : path.steps;
  let from = first && first.event.type === 'xstate.init' ? String(first.state.value) : undefined;
  if (first && from !== undefined) await runner.check(from, first);
  for (const step of stepsAfterInit) {
    const to = String(step.state.value);
    try {
      await runner.exec(step.event, from ?? '(start)', to);
      await runner.check(to, step);
    } catch (error) {
      throw new Error(`step ${from ?? '(start)'} --${eventLabel(step.event)}--> ${to} (path ${path.description}): ${(error as Error).message}`, { cause: error });
    }
    from = to;
  }
}
