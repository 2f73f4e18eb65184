import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import { consumerMachine } from './consumer.machine.ts';
import { driverMachine } from './driver.machine.ts';
import { errorMessage, type ServiceInput } from './lifecycle-types.ts';
import { queueMachine } from './queue.machine.ts';

/** One supervised entry the runtime spawns as a child actor. */
export type RuntimeChild =
  | { kind: 'driver'; id: string; input: ServiceInput }
  | { kind: 'queue'; id: string; input: { id: string; driver: string } }
  | { kind: 'consumer'; id: string; input: ServiceInput & { concurrency: number } };

/** Events the runtime accepts. */
export type RuntimeEvent = { type: 'runtime.load' } | { type: 'runtime.start' } | { type: 'runtime.stop' };

/** Context of the runtime machine. */
export interface RuntimeContext {
  /** Entries spawned as children, in start order. */
  children: RuntimeChild[];
  error: string | undefined;
}

/**
 * The root of an actorq actor system:
 *
 * ```
 * idle -> loading -> loaded -> starting -> running -> stopping -> stopped
 *            \-> failed          \-> failed      (stopped/failed -> starting again)
 * ```
 *
 * `loading` reads and validates the configuration (`loadRegistry`), then
 * every driver, queue and consumer is spawned as a child with its registry
 * ID as `systemId`, so `system.get('app.queue:task_consumer')` finds it.
 * `starting`/`stopping` walk the dependency graph (`startEntries`,
 * `stopEntries`), dependencies first on the way up and last on the way down.
 *
 * Stubs only: the runtime provides the three promise actors.
 */
export const runtimeMachine = setup({
  types: {
    context: {} as RuntimeContext,
    events: {} as RuntimeEvent,
  },
  actors: {
    driver: driverMachine,
    queue: queueMachine,
    consumer: consumerMachine,
    loadRegistry: fromPromise<RuntimeChild[]>(async () => []),
    startEntries: fromPromise<void>(async () => undefined),
    stopEntries: fromPromise<void>(async () => undefined),
  },
  actions: {
    spawnChildren: enqueueActions(({ context, enqueue }) => {
      for (const child of context.children) {
        enqueue.spawnChild(child.kind, { id: child.id, systemId: child.id, input: child.input as never });
      }
    }),
  },
}).createMachine({
  id: 'runtime',
  initial: 'idle',
  context: { children: [], error: undefined },
  states: {
    idle: {
      on: { 'runtime.load': 'loading' },
    },
    loading: {
      invoke: {
        id: 'loadRegistry',
        src: 'loadRegistry',
        onDone: { target: 'loaded', actions: [assign({ children: ({ event }) => event.output }), 'spawnChildren'] },
        onError: { target: 'failed', actions: assign({ error: ({ event }) => errorMessage(event.error) }) },
      },
    },
    loaded: {
      on: { 'runtime.start': 'starting', 'runtime.stop': 'stopped' },
    },
    starting: {
      entry: assign({ error: undefined }),
      invoke: {
        id: 'startEntries',
        src: 'startEntries',
        onDone: 'running',
        onError: { target: 'failed', actions: assign({ error: ({ event }) => errorMessage(event.error) }) },
      },
      on: { 'runtime.stop': 'stopping' },
    },
    running: {
      on: { 'runtime.stop': 'stopping' },
    },
    stopping: {
      invoke: {
        id: 'stopEntries',
        src: 'stopEntries',
        onDone: 'stopped',
        onError: { target: 'stopped', actions: assign({ error: ({ event }) => errorMessage(event.error) }) },
      },
    },
    stopped: {
      on: { 'runtime.start': 'starting' },
    },
    failed: {
      on: { 'runtime.start': 'starting', 'runtime.stop': 'stopping' },
    },
  },
});
