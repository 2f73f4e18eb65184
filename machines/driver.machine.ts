import { assign, setup } from 'xstate';
import { errorMessage, eventError, mayRestart, notProvided, restartBackoff, serviceContext, type ServiceContext, type ServiceInput } from './lifecycle-types.ts';

/** Events a driver accepts. The `driver.connected/reconnecting/failed` ones come from the backend's connection. */
export type DriverEvent =
  | { type: 'driver.start' }
  | { type: 'driver.stop' }
  | { type: 'driver.connected' }
  | { type: 'driver.reconnecting'; attempt: number; error?: unknown }
  | { type: 'driver.failed'; error: unknown };

/** Context of a driver machine. */
export interface DriverContext extends ServiceContext {
  /** Reconnect attempts since the connection was last up. */
  reconnectAttempt: number;
}

/**
 * A `queue.driver.*` entry:
 *
 * ```
 * idle -> starting -> running.connected <-> running.reconnecting
 *            |            |
 *            v            v driver.stop
 *       restarting --> draining -> stopped   (driver.stop from any state but idle)
 *            |            ^
 *            v            |
 *          failed --------+
 * ```
 *
 * `starting` is the first connect (for external drivers), `draining` the
 * graceful close; a connection lost while running moves to
 * `running.reconnecting` and back, without leaving `running`: consumers and
 * publishers keep their subscriptions and the driver re-attaches them.
 *
 * Stubs only: the runtime provides `startDriver`, `stopDriver` (each
 * rejects naming itself when unprovided) and a jittered `restartDelay`.
 * Every action and guard is named in `setup()`, so the definition is plain
 * data (`actorq machines --json`) and its implementations travel apart.
 */
export const driverMachine = setup({
  types: {
    context: {} as DriverContext,
    input: {} as ServiceInput,
    events: {} as DriverEvent,
  },
  actors: {
    startDriver: notProvided<void, { id: string }>('startDriver'),
    stopDriver: notProvided<void, { id: string }>('stopDriver'),
  },
  actions: {
    /** A start succeeded: the restart count starts over. */
    clearFailure: assign({ attempts: 0, error: undefined }),
    /** A start failed, or the connection gave up: one more attempt used. */
    recordFailure: assign({ attempts: ({ context }) => context.attempts + 1, error: ({ event }) => errorMessage(eventError(event)) }),
    recordStartTimeout: assign({ attempts: ({ context }) => context.attempts + 1, error: 'start timed out' }),
    resetReconnects: assign({ reconnectAttempt: 0 }),
    recordReconnecting: assign(({ event }) => {
      const e = event as Extract<DriverEvent, { type: 'driver.reconnecting' }>;
      return { reconnectAttempt: e.attempt, error: e.error === undefined ? undefined : errorMessage(e.error) };
    }),
    recordReconnectAttempt: assign({ reconnectAttempt: ({ event }) => (event as Extract<DriverEvent, { type: 'driver.reconnecting' }>).attempt }),
    recordStopError: assign({ error: ({ event }) => errorMessage(eventError(event)) }),
    markStopTimedOut: assign({ stopTimedOut: true }),
    clearStopTimedOut: assign({ stopTimedOut: false }),
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
  id: 'driver',
  initial: 'idle',
  context: ({ input }) => ({ ...serviceContext(input), reconnectAttempt: 0 }),
  states: {
    idle: {
      on: { 'driver.start': 'starting', 'driver.stop': 'stopped' },
    },
    starting: {
      invoke: {
        id: 'startDriver',
        src: 'startDriver',
        input: ({ context }) => ({ id: context.id }),
        onDone: { target: 'running', actions: 'clearFailure' },
        onError: [
          { guard: 'mayRestart', target: 'restarting', actions: 'recordFailure' },
          { target: 'failed', actions: 'recordFailure' },
        ],
      },
      after: {
        startTimeout: [
          { guard: 'mayRestart', target: 'restarting', actions: 'recordStartTimeout' },
          { target: 'failed', actions: 'recordStartTimeout' },
        ],
      },
      on: { 'driver.stop': 'draining' },
    },
    running: {
      initial: 'connected',
      states: {
        connected: {
          entry: 'resetReconnects',
          on: {
            'driver.reconnecting': { target: 'reconnecting', actions: 'recordReconnecting' },
          },
        },
        reconnecting: {
          on: {
            'driver.connected': 'connected',
            'driver.reconnecting': { actions: 'recordReconnectAttempt' },
          },
        },
      },
      on: {
        'driver.stop': 'draining',
        // Always a restart: `attempts` is 0 while running (a successful start
        // resets it), so the restart policy allows at least one; failures of
        // the restarts then count towards `max_attempts`.
        'driver.failed': { target: 'restarting', actions: 'recordFailure' },
      },
    },
    draining: {
      invoke: {
        id: 'stopDriver',
        src: 'stopDriver',
        input: ({ context }) => ({ id: context.id }),
        onDone: 'stopped',
        onError: { target: 'stopped', actions: 'recordStopError' },
      },
      after: {
        stopTimeout: { target: 'stopped', actions: 'markStopTimedOut' },
      },
    },
    stopped: {
      on: { 'driver.start': { target: 'starting', actions: 'clearStopTimedOut' } },
    },
    // A failed start may have left a half-open connection: stopping from
    // here goes through `draining`, whose stopDriver closes it (idempotent).
    restarting: {
      after: { restartDelay: 'starting' },
      on: { 'driver.stop': 'draining' },
    },
    failed: {
      on: { 'driver.start': { target: 'starting', actions: 'resetAttempts' }, 'driver.stop': 'draining' },
    },
  },
});
