import { setup } from 'xstate';
import { notProvided } from './lifecycle-types.ts';

/** Events a worker accepts. */
export type WorkerEvent = { type: 'worker.start' } | { type: 'worker.drain' } | { type: 'worker.stop' };

/** Input of a worker: which consumer it belongs to and its slot. */
export interface WorkerInput {
  consumerId: string;
  index: number;
}

/**
 * One of a consumer's `concurrency` workers. Its states are its lifecycle,
 * not its messages: a worker is `running` while its consumer runs, however
 * many messages pass through it (messages never become events).
 *
 * `draining` waits, through the provided `awaitIdle` actor, for the message
 * the worker holds to finish. At the consumer's stop timeout the pool
 * releases that message and detaches its handler from the worker (a late
 * result can no longer touch it), and `worker.stop` ends the wait: a worker
 * shown `stopped` holds no message.
 */
export const workerMachine = setup({
  types: {
    context: {} as WorkerInput,
    input: {} as WorkerInput,
    events: {} as WorkerEvent,
  },
  actors: {
    awaitIdle: notProvided<void, WorkerInput>('awaitIdle'),
  },
}).createMachine({
  id: 'worker',
  initial: 'idle',
  context: ({ input }) => ({ consumerId: input.consumerId, index: input.index }),
  states: {
    idle: {
      on: { 'worker.start': 'running', 'worker.stop': 'stopped' },
    },
    running: {
      on: { 'worker.drain': 'draining', 'worker.stop': 'stopped' },
    },
    draining: {
      invoke: {
        id: 'awaitIdle',
        src: 'awaitIdle',
        input: ({ context }) => context,
        onDone: 'stopped',
        onError: 'stopped',
      },
      on: { 'worker.stop': 'stopped' },
    },
    stopped: {
      on: { 'worker.start': 'running' },
    },
  },
});
