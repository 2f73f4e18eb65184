import { assign, enqueueActions, setup } from 'xstate';
import { workerMachine } from './worker.machine.ts';
import { actionNotProvided, errorMessage, eventError, mayRestart, notProvided, restartBackoff, serviceContext, type ServiceContext, type ServiceInput } from './lifecycle-types.ts';

/** Events a consumer accepts. */
export type ConsumerEvent =
  | { type: 'consumer.start' }
  | { type: 'consumer.stop' }
  /** The subscription to the queue broke (backend ended it). */
  | { type: 'consumer.fail'; error: unknown };

/** Input of a consumer machine. */
export interface ConsumerInput extends ServiceInput {
  concurrency: number;
}

/** Context of a consumer machine. */
export interface ConsumerContext extends ServiceContext {
  concurrency: number;
}

/**
 * A `queue.consumer` entry:
 *
 * ```
 * idle -> starting -> running -> draining -> stopped -> starting (start again)
 *            |           |           ^
 *            v           v           | consumer.stop from starting, running,
 *       restarting <-(consumer.fail) | restarting or failed: handlers of a
 *            |                       | broken subscription drain like any
 *            v                       | other, within stop_timeout
 *          failed -------------------+
 * ```
 *
 * It owns `concurrency` worker actors, spawned once with system IDs
 * `<consumer id>#worker-<n>`. Draining follows the seed's shutdown: stop
 * receiving and hand back buffered messages (`beginDrain`), let workers
 * finish (`drainConsumer`), and at `stop_timeout` give up on them
 * (`abandonInFlight`, which releases their messages back to the queue).
 *
 * Stubs only: the runtime provides `startConsumer`, `drainConsumer`,
 * `beginDrain`, `abandonInFlight` (each throws or rejects naming itself
 * when unprovided) and a jittered `restartDelay`. Every action and guard
 * is named in `setup()`, so the definition is plain data.
 */
export const consumerMachine = setup({
  types: {
    context: {} as ConsumerContext,
    input: {} as ConsumerInput,
    events: {} as ConsumerEvent,
  },
  actors: {
    worker: workerMachine,
    startConsumer: notProvided<void, { id: string }>('startConsumer'),
    drainConsumer: notProvided<void, { id: string }>('drainConsumer'),
  },
  actions: {
    beginDrain: actionNotProvided('beginDrain'),
    abandonInFlight: actionNotProvided('abandonInFlight'),
    startWorkers: enqueueActions(({ context, enqueue }) => {
      for (let i = 0; i < context.concurrency; i++) enqueue.sendTo(`worker-${i}`, { type: 'worker.start' });
    }),
    drainWorkers: enqueueActions(({ context, enqueue }) => {
      for (let i = 0; i < context.concurrency; i++) enqueue.sendTo(`worker-${i}`, { type: 'worker.drain' });
    }),
    stopWorkers: enqueueActions(({ context, enqueue }) => {
      for (let i = 0; i < context.concurrency; i++) enqueue.sendTo(`worker-${i}`, { type: 'worker.stop' });
    }),
    /** The `concurrency` workers, once, with system IDs `<consumer id>#worker-<n>`. */
    spawnWorkers: enqueueActions(({ context, enqueue }) => {
      for (let i = 0; i < context.concurrency; i++) {
        enqueue.spawnChild('worker', {
          id: `worker-${i}`,
          systemId: `${context.id}#worker-${i}`,
          input: { consumerId: context.id, index: i },
        });
      }
    }),
    clearStopTimedOut: assign({ stopTimedOut: false }),
    /** A start succeeded: the restart count starts over. */
    clearFailure: assign({ attempts: 0, error: undefined }),
    /** A start failed, or the subscription broke: one more attempt used. */
    recordFailure: assign({ attempts: ({ context }) => context.attempts + 1, error: ({ event }) => errorMessage(eventError(event)) }),
    recordStartTimeout: assign({ attempts: ({ context }) => context.attempts + 1, error: 'start timed out' }),
    recordDrainError: assign({ error: ({ event }) => errorMessage(eventError(event)) }),
    markStopTimedOut: assign({ stopTimedOut: true }),
    /** A start asked for by hand after `failed` gets the whole restart budget again. */
    resetAttempts: assign({ attempts: 0 }),
  },
  delays: {
    startTimeout: ({ context }) => context.start_timeout,
    stopTimeout: ({ context }) => context.stop_timeout,
    restartDelay: ({ context }) => restartBackoff(context),
  },
  guards: {
    mayRestart: ({ context }) => mayRestart(context),
  },
}).createMachine({
  id: 'consumer',
  initial: 'idle',
  context: ({ input }) => ({ ...serviceContext(input), concurrency: input.concurrency }),
  entry: 'spawnWorkers',
  states: {
    idle: {
      on: { 'consumer.start': 'starting', 'consumer.stop': 'stopped' },
    },
    starting: {
      entry: 'clearStopTimedOut',
      invoke: {
        id: 'startConsumer',
        src: 'startConsumer',
        input: ({ context }) => ({ id: context.id }),
        onDone: { target: 'running', actions: 'clearFailure' },
        onError: [
          { guard: 'mayRestart', target: 'restarting', actions: 'recordFailure' },
          { target: 'failed', actions: 'recordFailure' },
        ],
      },
      after: {
        startTimeout: [
          { guard: 'mayRestart', target: 'restarting', actions: ['beginDrain', 'recordStartTimeout'] },
          { target: 'failed', actions: ['beginDrain', 'recordStartTimeout'] },
        ],
      },
      on: { 'consumer.stop': 'draining' },
    },
    running: {
      entry: 'startWorkers',
      on: {
        'consumer.stop': 'draining',
        // Always a restart: `attempts` is 0 while running (a successful start
        // resets it), so the restart policy allows at least one; failures of
        // the restarts then count towards `max_attempts`.
        'consumer.fail': {
          target: 'restarting',
          actions: ['beginDrain', 'stopWorkers', 'recordFailure'],
        },
      },
    },
    draining: {
      entry: ['beginDrain', 'drainWorkers'],
      invoke: {
        id: 'drainConsumer',
        src: 'drainConsumer',
        input: ({ context }) => ({ id: context.id }),
        onDone: { target: 'stopped', actions: 'stopWorkers' },
        onError: { target: 'stopped', actions: ['abandonInFlight', 'stopWorkers', 'recordDrainError'] },
      },
      after: {
        stopTimeout: { target: 'stopped', actions: ['abandonInFlight', 'stopWorkers', 'markStopTimedOut'] },
      },
    },
    stopped: {
      on: { 'consumer.start': 'starting' },
    },
    // Handlers of the broken subscription may still run: stopping from here
    // drains them like any other stop, with the same stop_timeout.
    restarting: {
      after: { restartDelay: 'starting' },
      on: { 'consumer.stop': 'draining' },
    },
    failed: {
      on: { 'consumer.start': { target: 'starting', actions: 'resetAttempts' }, 'consumer.stop': 'draining' },
    },
  },
});
