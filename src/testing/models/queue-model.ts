import { createMachine } from 'xstate';

/**
 * Events of {@link queueModel}. `START`/`STOP` are `runtime.startEntry(id)` /
 * `runtime.stopEntry(id)`; `START_FAILS` is a start whose declaration fails
 * (a broker refusing it; with the test runtime, `faults.failDeclare`).
 */
export type QueueModelEvent = { type: 'START' } | { type: 'START_FAILS' } | { type: 'STOP' };

/**
 * Abstract model of a `queue.queue` entry: a declaration its driver holds.
 * No input.
 *
 * ```
 * idle --START--> running --STOP--> stopped --START--> running
 *   \--START_FAILS--> failed --START--> running   (failed, stopped: START_FAILS again)
 * idle, failed --STOP--> stopped
 * ```
 *
 * `meta.machine` is the queue actor's state value. Written as a
 * specification, not derived from `machines/queue.machine.ts`.
 */
export const queueModel = createMachine({
  id: 'queue-model',
  types: {} as { events: QueueModelEvent },
  initial: 'idle',
  states: {
    idle: { meta: { machine: 'idle' }, on: { START: 'running', START_FAILS: 'failed', STOP: 'stopped' } },
    running: { meta: { machine: 'running' }, on: { STOP: 'stopped' } },
    stopped: { meta: { machine: 'stopped' }, on: { START: 'running', START_FAILS: 'failed' } },
    failed: { meta: { machine: 'failed' }, on: { START: 'running', STOP: 'stopped' } },
  },
});
