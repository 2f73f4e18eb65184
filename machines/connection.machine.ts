import { assign, fromCallback, setup } from 'xstate';
import { notProvided } from './lifecycle-types.ts';

/** Events the connection machine accepts. */
export type ConnectionEvent =
  | { type: 'connection.open' }
  | { type: 'connection.lost'; error?: unknown }
  | { type: 'connection.close' };

/** What the connection machine remembers. */
export interface ConnectionContext {
  /** Reconnect attempts since the last successful connect. */
  attempt: number;
  /** Whether a connection was ever established in this open/close cycle. */
  everConnected: boolean;
  /** Last connect or connection error (for status and logs; never contains secrets). */
  lastError: unknown;
}

/**
 * The connection to an external broker (AMQP, Redis, ...):
 * `connecting -> connected -> reconnecting (backoff) -> connecting -> ...`,
 * `closing -> closed`.
 *
 * A first connect that fails ends in `failed`, so a driver's start fails
 * fast and its lifecycle restart policy decides what next; a connection lost
 * after it was up is retried forever with the `reconnectDelay` backoff
 * (computed from `attempt`), until `connection.close`.
 *
 * Stubs only: a driver provides `connect` (open connection, declare queues,
 * re-attach consumers), `watch` (report `connection.lost` from the live
 * connection), `disconnect`, and the `reconnectDelay` delay. Actions and
 * guards are named in `setup()`, so the definition is plain data.
 */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
  },
  actors: {
    connect: notProvided<void, { attempt: number }>('connect'),
    watch: fromCallback<ConnectionEvent>(() => {
      throw new Error('not provided: watch');
    }),
    disconnect: notProvided<void, void>('disconnect'),
  },
  delays: {
    reconnectDelay: 1000,
  },
  actions: {
    markConnected: assign({ attempt: 0, everConnected: true, lastError: undefined }),
    recordError: assign({ lastError: ({ event }) => (event as { error?: unknown }).error }),
    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    /** A new open/close cycle: a failing first connect is `failed` again, not a reconnect. */
    resetCycle: assign({ attempt: 0, everConnected: false, lastError: undefined }),
  },
  guards: {
    wasConnected: ({ context }) => context.everConnected,
  },
}).createMachine({
  id: 'connection',
  initial: 'idle',
  context: { attempt: 0, everConnected: false, lastError: undefined },
  states: {
    idle: {
      on: { 'connection.open': 'connecting', 'connection.close': 'closed' },
    },
    connecting: {
      invoke: {
        id: 'connect',
        src: 'connect',
        input: ({ context }) => ({ attempt: context.attempt }),
        onDone: { target: 'connected', actions: 'markConnected' },
        onError: [
          { guard: 'wasConnected', target: 'reconnecting', actions: 'recordError' },
          { target: 'failed', actions: 'recordError' },
        ],
      },
      on: { 'connection.close': 'closing' },
    },
    connected: {
      invoke: { src: 'watch' },
      on: {
        'connection.lost': { target: 'reconnecting', actions: 'recordError' },
        'connection.close': 'closing',
      },
    },
    reconnecting: {
      entry: 'countAttempt',
      after: { reconnectDelay: 'connecting' },
      on: { 'connection.close': 'closing' },
    },
    closing: {
      invoke: { id: 'disconnect', src: 'disconnect', onDone: 'closed', onError: 'closed' },
    },
    closed: {
      on: { 'connection.open': { target: 'connecting', actions: 'resetCycle' } },
    },
    failed: {
      on: {
        'connection.open': { target: 'connecting', actions: 'resetCycle' },
        'connection.close': 'closed',
      },
    },
  },
});
