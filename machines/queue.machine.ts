import { assign, setup } from 'xstate';
import { errorMessage, eventError, notProvided } from './lifecycle-types.ts';

/** Events a queue accepts. */
export type QueueEvent = { type: 'queue.start' } | { type: 'queue.stop' };

/** Input of a queue machine. */
export interface QueueInput {
  /** Registry ID of the `queue.queue` entry. */
  id: string;
  /** Registry ID of its driver. */
  driver: string;
  /** Longest a declaration may take (ms): its driver's `start_timeout`. */
  start_timeout: number;
  /** Longest the drain may take (ms): its driver's `stop_timeout`. */
  stop_timeout: number;
}

/** Context of a queue machine. */
export interface QueueContext extends QueueInput {
  error: string | undefined;
}

/**
 * A `queue.queue` entry: a declaration held by its driver.
 *
 * ```
 * idle -> starting (declare on the driver) -> running -> draining -> stopped
 *             \-> failed (declare failed or took longer than start_timeout)
 * ```
 *
 * A stop is handled in every state: while declaring it cancels the
 * declaration (declarations are idempotent, so a late one does no harm).
 *
 * Wippy does not supervise queues; here a queue still has a visible
 * lifecycle so an inspector shows when it is usable. It starts after its
 * driver and stops before it. `draining` waits, through `drainQueue`, for
 * nothing by default: consumers of the queue have stopped already.
 *
 * Stubs only: the runtime provides `declareQueue` and `drainQueue`;
 * unprovided, each rejects naming itself. Actions are named in `setup()`,
 * so the definition is plain data.
 */
export const queueMachine = setup({
  types: {
    context: {} as QueueContext,
    input: {} as QueueInput,
    events: {} as QueueEvent,
  },
  actors: {
    declareQueue: notProvided<void, { id: string }>('declareQueue'),
    drainQueue: notProvided<void, { id: string }>('drainQueue'),
  },
  actions: {
    clearError: assign({ error: undefined }),
    recordDeclareError: assign({ error: ({ event }) => errorMessage(eventError(event)) }),
    recordDeclareTimeout: assign({ error: ({ context }) => `declaring took longer than ${context.start_timeout}ms` }),
  },
  delays: {
    startTimeout: ({ context }) => context.start_timeout,
    stopTimeout: ({ context }) => context.stop_timeout,
  },
}).createMachine({
  id: 'queue',
  initial: 'idle',
  context: ({ input }) => ({ ...input, error: undefined }),
  states: {
    idle: { on: { 'queue.start': 'starting', 'queue.stop': 'stopped' } },
    starting: {
      invoke: {
        id: 'declareQueue',
        src: 'declareQueue',
        input: ({ context }) => ({ id: context.id }),
        onDone: { target: 'running', actions: 'clearError' },
        onError: { target: 'failed', actions: 'recordDeclareError' },
      },
      after: { startTimeout: { target: 'failed', actions: 'recordDeclareTimeout' } },
      on: { 'queue.stop': 'stopped' },
    },
    running: { on: { 'queue.stop': 'draining' } },
    draining: {
      invoke: { id: 'drainQueue', src: 'drainQueue', input: ({ context }) => ({ id: context.id }), onDone: 'stopped', onError: 'stopped' },
      after: { stopTimeout: 'stopped' },
    },
    stopped: { on: { 'queue.start': 'starting' } },
    failed: { on: { 'queue.start': 'starting', 'queue.stop': 'stopped' } },
  },
});
