import { and, assign, enqueueActions, setup } from 'xstate';
import { consumerMachine, type ConsumerInput } from './consumer.machine.ts';
import { driverMachine } from './driver.machine.ts';
import { actionNotProvided, errorMessage, notProvided, type ServiceInput } from './lifecycle-types.ts';
import { queueMachine, type QueueInput } from './queue.machine.ts';
import { mergePlan, startPlan, stopPlan, type PlannedChild } from './supervision-plan.ts';

/** One supervised entry the runtime spawns as a child actor. */
export type RuntimeChild = PlannedChild & {
  /** Whether `runtime.start` without ids starts it (`lifecycle.auto_start`, or a queue on such a driver). */
  readonly autoStart: boolean;
  /** The longest the supervisor waits for the child to settle after `start`: its own limits plus a margin. */
  readonly startBound: number;
  /** The same after `stop`. */
  readonly stopBound: number;
} & (
    | { readonly kind: 'driver'; readonly input: ServiceInput }
    | { readonly kind: 'queue'; readonly input: QueueInput }
    | { readonly kind: 'consumer'; readonly input: ConsumerInput }
  );

/**
 * Events the runtime accepts. Each may carry a `requestId`; the runtime
 * answers every request exactly once with an emitted `runtime.settled`
 * (see {@link RuntimeEmitted}), whatever happens meanwhile.
 */
export type RuntimeEvent =
  | { type: 'runtime.load'; requestId?: string }
  /** Starts `ids` and their dependencies; every auto-start entry when `ids` is absent. */
  | { type: 'runtime.start'; requestId?: string; ids?: readonly string[] }
  /** Stops `ids` and their dependents; everything when `ids` is absent. */
  | { type: 'runtime.stop'; requestId?: string; ids?: readonly string[] };

/** The answer to one request. */
export type RuntimeEmitted = {
  type: 'runtime.settled';
  requestId: string;
  operation: 'load' | 'start' | 'stop';
  ok: boolean;
  error?: string;
  /** Start: the entries that did not start, and why. */
  failures?: Record<string, string>;
  /** Stop: consumers whose handlers outlived `stop_timeout`. */
  timedOut?: string[];
};

/** What an `awaitEntry` wait reports: the state the child settled in. */
export interface EntrySettled {
  readonly state: string;
  readonly error?: string;
  readonly stopTimedOut?: boolean;
}

/** Context of the runtime machine. */
export interface RuntimeContext {
  /** Entries spawned as children, in start order (dependencies first). */
  children: RuntimeChild[];
  /** Children the current start or stop has still to visit, in order. */
  plan: string[];
  /** The child being started or stopped now. */
  current: string | undefined;
  /** Entries the current start could not bring up, and why. */
  failures: Record<string, string>;
  /** Consumers whose stop hit their `stop_timeout`, in the current stop. */
  timedOut: string[];
  /** Entries this runtime brought up and has not stopped since. */
  up: string[];
  /** Whether the stop under way is a full stop (everything) rather than `stopEntry`. */
  fullStop: boolean;
  /** Requests waiting for an answer, by operation. */
  loadRequests: string[];
  startRequests: string[];
  stopRequests: string[];
  error: string | undefined;
}

type RequestEvent = RuntimeEvent;
const requestOf = (event: RequestEvent): string[] => (event.requestId === undefined ? [] : [event.requestId]);
const childOf = (context: RuntimeContext, id: string | undefined) => context.children.find((c) => c.id === id);
const autoStartIds = (context: RuntimeContext) => context.children.filter((c) => c.autoStart).map((c) => c.id);
const allIds = (context: RuntimeContext) => context.children.map((c) => c.id);
const whyNotStarted = (settled: EntrySettled): string => {
  const why = settled.error ?? 'unknown error';
  if (settled.state === 'restarting') return `failed, retrying in the background: ${why}`;
  if (settled.state === 'stopped') return 'stopped while starting';
  return `failed: ${why}`;
};

/**
 * The root of an actorq actor system, and the supervisor of every entry:
 *
 * ```
 * idle -> loading -> loaded -> starting -> running -> stopping -> stopped
 *            |                    |  \-> failed          ^   (stopped/failed -> starting again)
 *            v                    +-----(runtime.stop)---+
 *       loadFailed
 * ```
 *
 * `loading` reads and validates the configuration (`loadRegistry`), then
 * every driver, queue and consumer is spawned as a child with its registry
 * ID as `systemId`, so `system.get('app.queue:task_consumer')` finds it.
 *
 * Order and waits are transitions: `starting` first runs `prepareStart`
 * (functions are loaded then, not at load), then visits its plan one child
 * at a time, dependencies first: `starting.entry` sends the child its start
 * event and waits in the invoked `awaitEntry` until the child settles,
 * bounded by the child's `startBound`. `stopping` does the same in reverse
 * order with stop events. A stop arriving in any state is handled: while
 * starting it cancels the start (whose callers are answered) and stops
 * whatever runs, however it was started. `runtime.start`/`runtime.stop` with
 * `ids` are `startEntry`/`stopEntry`: the same walk over a smaller plan.
 *
 * Stubs only: the runtime provides `loadRegistry`, `prepareStart`,
 * `awaitEntry` and the `childrenSpawned` action; unprovided, each rejects
 * (or throws) naming itself. Every action and guard is named in `setup()`,
 * so the definition is plain data.
 */
export const runtimeMachine = setup({
  types: {
    context: {} as RuntimeContext,
    events: {} as RuntimeEvent,
    emitted: {} as RuntimeEmitted,
  },
  actors: {
    driver: driverMachine,
    queue: queueMachine,
    consumer: consumerMachine,
    loadRegistry: notProvided<RuntimeChild[], void>('loadRegistry'),
    prepareStart: notProvided<void, void>('prepareStart'),
    awaitEntry: notProvided<EntrySettled, { id: string; goal: 'start' | 'stop' }>('awaitEntry'),
  },
  actions: {
    spawnChildren: enqueueActions(({ context, enqueue }) => {
      for (const child of context.children) {
        enqueue.spawnChild(child.kind, { id: child.id, systemId: child.id, input: child.input as never });
      }
    }),
    /** Lets the implementations behind the children place their own actors (connections) under them. */
    childrenSpawned: actionNotProvided('childrenSpawned'),
    recordLoad: assign({ loadRequests: ({ context, event }) => [...context.loadRequests, ...requestOf(event as RequestEvent)] }),
    recordStop: assign({ stopRequests: ({ context, event }) => [...context.stopRequests, ...requestOf(event as RequestEvent)] }),
    beginStart: assign(({ context, event }) => {
      const e = event as Extract<RuntimeEvent, { type: 'runtime.start' }>;
      return {
        plan: startPlan(context.children, e.ids ?? autoStartIds(context)),
        failures: {},
        current: undefined,
        error: undefined,
        startRequests: [...context.startRequests, ...requestOf(e)],
      };
    }),
    mergeStart: assign(({ context, event }) => {
      const e = event as Extract<RuntimeEvent, { type: 'runtime.start' }>;
      return {
        plan: mergePlan(allIds(context), context.plan, startPlan(context.children, e.ids ?? autoStartIds(context))),
        startRequests: [...context.startRequests, ...requestOf(e)],
      };
    }),
    beginStop: assign(({ context, event }) => {
      const e = event as Extract<RuntimeEvent, { type: 'runtime.stop' }>;
      return {
        plan: e.ids ? stopPlan(context.children, e.ids) : allIds(context).reverse(),
        fullStop: !e.ids,
        timedOut: [],
        current: undefined,
        stopRequests: [...context.stopRequests, ...requestOf(e)],
      };
    }),
    mergeStop: assign(({ context, event }) => {
      const e = event as Extract<RuntimeEvent, { type: 'runtime.stop' }>;
      const more = e.ids ? stopPlan(context.children, e.ids) : allIds(context);
      return {
        plan: mergePlan([...allIds(context)].reverse(), context.plan, more),
        fullStop: context.fullStop || !e.ids,
        stopRequests: [...context.stopRequests, ...requestOf(e)],
      };
    }),
    takeHead: assign(({ context }) => ({ current: context.plan[0], plan: context.plan.slice(1) })),
    skipBlocked: assign(({ context }) => {
      const id = context.plan[0]!;
      // The nearest failed dependency (dependsOn is in start order) says most about why.
      const blocker = [...childOf(context, id)!.dependsOn].reverse().find((dep) => dep in context.failures);
      return { plan: context.plan.slice(1), failures: { ...context.failures, [id]: `not started: dependency ${blocker} failed` } };
    }),
    sendStart: enqueueActions(({ context, enqueue }) => {
      const child = childOf(context, context.current)!;
      enqueue.sendTo(child.id, { type: `${child.kind}.start` } as never);
    }),
    sendStop: enqueueActions(({ context, enqueue }) => {
      const child = childOf(context, context.current)!;
      enqueue.sendTo(child.id, { type: `${child.kind}.stop` } as never);
    }),
    recordStarted: assign(({ context, event }) => {
      const settled = (event as unknown as { output: EntrySettled }).output;
      const id = context.current!;
      if (settled.state === 'running') return { up: context.up.includes(id) ? context.up : [...context.up, id] };
      return { failures: { ...context.failures, [id]: whyNotStarted(settled) } };
    }),
    recordStartError: assign(({ context, event }) => ({
      failures: { ...context.failures, [context.current!]: `failed: ${errorMessage((event as unknown as { error: unknown }).error)}` },
    })),
    recordStartTimeout: assign(({ context }) => ({
      failures: { ...context.failures, [context.current!]: `failed: did not settle within ${childOf(context, context.current)!.startBound}ms` },
    })),
    recordPrepareError: assign(({ context, event }) => ({
      plan: [],
      error: errorMessage((event as unknown as { error: unknown }).error),
      failures: { ...context.failures, '(functions)': errorMessage((event as unknown as { error: unknown }).error) },
    })),
    recordStopped: assign(({ context, event }) => {
      const settled = (event as unknown as { output?: EntrySettled }).output;
      const id = context.current!;
      return {
        up: context.up.filter((u) => u !== id),
        timedOut: settled?.stopTimedOut && !context.timedOut.includes(id) ? [...context.timedOut, id] : context.timedOut,
      };
    }),
    recordStopTimeout: assign(({ context }) => ({
      up: context.up.filter((u) => u !== context.current),
      timedOut: context.timedOut.includes(context.current!) ? context.timedOut : [...context.timedOut, context.current!],
    })),
    /** The registry loaded: the children to spawn, in start order. */
    takeChildren: assign({ children: ({ event }) => (event as unknown as { output: RuntimeChild[] }).output }),
    /** A stop asked for while loading: everything loaded is stopped at once. */
    beginFullStop: assign({ plan: [], fullStop: true, timedOut: [] }),
    clearError: assign({ error: undefined }),
    recordLoadError: assign({ error: ({ event }) => errorMessage((event as unknown as { error: unknown }).error) }),
    assignStartError: assign({ error: ({ context }) => Object.entries(context.failures).map(([id, why]) => `${id}: ${why}`).join('; ') }),
    replyLoads: enqueueActions(({ context, enqueue }) => {
      for (const requestId of context.loadRequests) {
        enqueue.emit({ type: 'runtime.settled', requestId, operation: 'load', ok: context.error === undefined, ...(context.error ? { error: context.error } : {}) });
      }
      enqueue.assign({ loadRequests: [] });
    }),
    replyStarts: enqueueActions(({ context, enqueue }) => {
      const ok = Object.keys(context.failures).length === 0;
      for (const requestId of context.startRequests) {
        enqueue.emit({ type: 'runtime.settled', requestId, operation: 'start', ok, ...(ok ? {} : { failures: context.failures }) });
      }
      enqueue.assign({ startRequests: [] });
    }),
    /** A stop cut the start short: its callers hear so, with what had failed by then. */
    replyStartsInterrupted: enqueueActions(({ context, enqueue }) => {
      const failures = { ...context.failures };
      for (const id of [context.current, ...context.plan]) if (id !== undefined && !(id in failures)) failures[id] = 'stopped while starting';
      for (const requestId of context.startRequests) {
        enqueue.emit({ type: 'runtime.settled', requestId, operation: 'start', ok: false, failures });
      }
      enqueue.assign({ startRequests: [] });
    }),
    replyStops: enqueueActions(({ context, enqueue }) => {
      for (const requestId of context.stopRequests) {
        enqueue.emit({ type: 'runtime.settled', requestId, operation: 'stop', ok: context.timedOut.length === 0, timedOut: context.timedOut });
      }
      enqueue.assign({ stopRequests: [] });
    }),
    /** Answers a request that this state cannot take, at once, with why. */
    refuse: enqueueActions(({ event, enqueue, self }) => {
      const e = event as RequestEvent;
      if (e.requestId === undefined) return;
      const state = JSON.stringify(self.getSnapshot().value);
      const operation = e.type === 'runtime.load' ? 'load' : e.type === 'runtime.start' ? 'start' : 'stop';
      enqueue.emit({ type: 'runtime.settled', requestId: e.requestId, operation, ok: false, error: `runtime is ${state}: cannot ${operation} now` });
    }),
    /** Answers a request that has nothing to do in this state. */
    acknowledge: enqueueActions(({ event, enqueue }) => {
      const e = event as RequestEvent;
      if (e.requestId === undefined) return;
      const operation = e.type === 'runtime.load' ? 'load' : e.type === 'runtime.start' ? 'start' : 'stop';
      enqueue.emit({ type: 'runtime.settled', requestId: e.requestId, operation, ok: true, ...(operation === 'stop' ? { timedOut: [] } : {}) });
    }),
  },
  guards: {
    planDone: ({ context }) => context.plan.length === 0,
    planDoneClean: ({ context }) => context.plan.length === 0 && Object.keys(context.failures).length === 0,
    headBlocked: ({ context }) => {
      const head = childOf(context, context.plan[0]);
      return head !== undefined && head.dependsOn.some((dep) => dep in context.failures);
    },
    stopRequested: ({ context }) => context.stopRequests.length > 0,
    somethingStillUp: ({ context }) => !context.fullStop && context.up.length > 0,
    /** A partial stop is done and other entries still run: back to `running`. */
    partialStopDone: and(['planDone', 'somethingStillUp']),
  },
  delays: {
    startBound: ({ context }) => childOf(context, context.current)?.startBound ?? 0,
    stopBound: ({ context }) => childOf(context, context.current)?.stopBound ?? 0,
  },
}).createMachine({
  id: 'runtime',
  initial: 'idle',
  context: {
    children: [],
    plan: [],
    current: undefined,
    failures: {},
    timedOut: [],
    up: [],
    fullStop: false,
    loadRequests: [],
    startRequests: [],
    stopRequests: [],
    error: undefined,
  },
  states: {
    idle: {
      on: {
        'runtime.load': { target: 'loading', actions: 'recordLoad' },
        'runtime.start': { actions: 'refuse' },
        'runtime.stop': { actions: 'acknowledge' },
      },
    },
    loading: {
      invoke: {
        id: 'loadRegistry',
        src: 'loadRegistry',
        onDone: [
          {
            guard: 'stopRequested',
            target: 'stopping',
            actions: ['takeChildren', 'beginFullStop', 'spawnChildren', 'childrenSpawned', 'replyLoads'],
          },
          { target: 'loaded', actions: ['takeChildren', 'spawnChildren', 'childrenSpawned', 'replyLoads'] },
        ],
        onError: { target: 'loadFailed', actions: ['recordLoadError', 'replyLoads', 'replyStops'] },
      },
      on: {
        'runtime.load': { actions: 'recordLoad' },
        'runtime.start': { actions: 'refuse' },
        'runtime.stop': { actions: 'recordStop' },
      },
    },
    loadFailed: {
      on: {
        'runtime.load': { target: 'loading', actions: ['clearError', 'recordLoad'] },
        'runtime.start': { actions: 'refuse' },
        'runtime.stop': { actions: 'acknowledge' },
      },
    },
    loaded: {
      on: {
        'runtime.load': { actions: 'acknowledge' },
        'runtime.start': { target: 'starting', actions: 'beginStart' },
        'runtime.stop': { target: 'stopping', actions: 'beginStop' },
      },
    },
    starting: {
      initial: 'prepare',
      states: {
        prepare: {
          invoke: {
            id: 'prepareStart',
            src: 'prepareStart',
            onDone: 'next',
            onError: { target: 'next', actions: 'recordPrepareError' },
          },
        },
        next: {
          always: [
            { guard: 'planDoneClean', target: '#runtime.running', actions: 'replyStarts' },
            { guard: 'planDone', target: '#runtime.failed', actions: ['assignStartError', 'replyStarts'] },
            { guard: 'headBlocked', target: 'next', reenter: true, actions: 'skipBlocked' },
            { target: 'entry', actions: 'takeHead' },
          ],
        },
        entry: {
          entry: 'sendStart',
          invoke: {
            id: 'awaitEntry',
            src: 'awaitEntry',
            input: ({ context }) => ({ id: context.current!, goal: 'start' as const }),
            onDone: { target: 'next', actions: 'recordStarted' },
            onError: { target: 'next', actions: 'recordStartError' },
          },
          after: { startBound: { target: 'next', actions: 'recordStartTimeout' } },
        },
      },
      on: {
        'runtime.load': { actions: 'acknowledge' },
        'runtime.start': { actions: 'mergeStart' },
        'runtime.stop': { target: 'stopping', actions: ['replyStartsInterrupted', 'beginStop'] },
      },
    },
    running: {
      on: {
        'runtime.load': { actions: 'acknowledge' },
        'runtime.start': { target: 'starting', actions: 'beginStart' },
        'runtime.stop': { target: 'stopping', actions: 'beginStop' },
      },
    },
    stopping: {
      initial: 'next',
      states: {
        next: {
          always: [
            { guard: 'partialStopDone', target: '#runtime.running', actions: 'replyStops' },
            { guard: 'planDone', target: '#runtime.stopped', actions: 'replyStops' },
            { target: 'entry', actions: 'takeHead' },
          ],
        },
        entry: {
          entry: 'sendStop',
          invoke: {
            id: 'awaitEntry',
            src: 'awaitEntry',
            input: ({ context }) => ({ id: context.current!, goal: 'stop' as const }),
            onDone: { target: 'next', actions: 'recordStopped' },
            onError: { target: 'next', actions: 'recordStopped' },
          },
          after: { stopBound: { target: 'next', actions: 'recordStopTimeout' } },
        },
      },
      on: {
        'runtime.load': { actions: 'acknowledge' },
        'runtime.start': { actions: 'refuse' },
        'runtime.stop': { actions: 'mergeStop' },
      },
    },
    stopped: {
      on: {
        'runtime.load': { actions: 'acknowledge' },
        'runtime.start': { target: 'starting', actions: 'beginStart' },
        'runtime.stop': { target: 'stopping', actions: 'beginStop' },
      },
    },
    failed: {
      on: {
        'runtime.load': { actions: 'acknowledge' },
        'runtime.start': { target: 'starting', actions: 'beginStart' },
        'runtime.stop': { target: 'stopping', actions: 'beginStop' },
      },
    },
  },
});
