import { assign, fromPromise, setup } from 'xstate';
import { errorMessage } from './lifecycle-types.ts';

/** Events a queue accepts. */
export type QueueEvent = { type: 'queue.start' } | { type: 'queue.stop' };

/** Input and context of a queue machine. */
export interface QueueContext {
  /** Registry ID of the `queue.queue` entry. */
  id: string;
  /** Registry ID of its driver. */
  driver: string;
  error: string | undefined;
}

/**
 * A `queue.queue` entry: a declaration held by its driver.
 *
 * ```
 * idle -> starting (declare on the driver) -> running -> draining -> stopped
 *             \-> failed
 * ```
 *
 * Wippy does not supervise queues; here a queue still has a visible
 * lifecycle so an inspector shows when it is usable. It starts after its
 * driver and stops before it. `draining` waits, through `drainQueue`, for
 * nothing by default: consumers of the queue have stopped already.
 *
 * Stubs only: the runtime provides `declareQueue` and `drainQueue`.
 */
export const queueMachine = setup({
  types: {
    context: {} as QueueContext,
    input: {} as { id: string; driver: string },
    events: {} as QueueEvent,
  },
  actors: {
    declareQueue: fromPromise<void, { id: string }>(async () => undefined),
    drainQueue: fromPromise<void, { id: string }>(async () => undefined),
  },
}).createMachine({
  id: 'queue',
  initial: 'idle',
  context: ({ input }) => ({ id: input.id, driver: input.driver, error: undefined }),
  states: {
    idle: { on: { 'queue.start': 'starting', 'queue.stop': 'stopped' } },
    starting: {
      invoke: {
        id: 'declareQueue',
        src: 'declareQueue',
        input: ({ context }) => ({ id: context.id }),
        onDone: { target: 'running', actions: assign({ error: undefined }) },
        onError: { target: 'failed', actions: assign({ error: ({ event }) => errorMessage(event.error) }) },
      },
    },
    running: { on: { 'queue.stop': 'draining' } },
    draining: {
      invoke: { id: 'drainQueue', src: 'drainQueue', input: ({ context }) => ({ id: context.id }), onDone: 'stopped', onError: 'stopped' },
    },
    stopped: { on: { 'queue.start': 'starting' } },
    failed: { on: { 'queue.start': 'starting', 'queue.stop': 'stopped' } },
  },
});
