import { createMachine } from 'xstate';

/**
 * Events of {@link workerModel}, for the one worker of a consumer with
 * concurrency 1 and a handler `timeout`:
 *
 * - `START` / `STOP`: its consumer is started / stopped;
 * - `WORK`: a message arrives and the handler holds it;
 * - `FINISH`: the handler returns;
 * - `HANDLER_TIMEOUT`: the handler runs past the consumer's `timeout`: its
 *   message is nacked and the handler detached, the worker is free again
 *   while the handler may still run (its late result is ignored);
 * - `STOP_TIMEOUT`: a stop gives up waiting after `stop_timeout`.
 */
export type WorkerModelEvent =
  | { type: 'START' }
  | { type: 'STOP' }
  | { type: 'WORK' }
  | { type: 'FINISH' }
  | { type: 'HANDLER_TIMEOUT' }
  | { type: 'STOP_TIMEOUT' };

/**
 * Abstract model of one worker slot. No input.
 *
 * ```
 * idle --START--> running --WORK--> busy --FINISH / HANDLER_TIMEOUT--> running
 *                   |                 \--STOP--> draining --FINISH / STOP_TIMEOUT--> stopped
 *                   \--STOP--> stopped --START--> running
 * ```
 *
 * A worker's states are its lifecycle, not its messages: `busy` is the
 * worker machine's `running` while it holds a message. `meta.machine` is
 * the worker actor's state value, `meta.holds` whether the worker holds a
 * message (a detached handler no longer counts). Written as a
 * specification, not derived from `machines/worker.machine.ts`.
 */
export const workerModel = createMachine({
  id: 'worker-model',
  types: {} as { events: WorkerModelEvent },
  initial: 'idle',
  states: {
    idle: { meta: { machine: 'idle', holds: false }, on: { START: 'running' } },
    running: { meta: { machine: 'running', holds: false }, on: { WORK: 'busy', STOP: 'stopped' } },
    busy: { meta: { machine: 'running', holds: true }, on: { FINISH: 'running', HANDLER_TIMEOUT: 'running', STOP: 'draining' } },
    draining: { meta: { machine: 'draining', holds: true }, on: { FINISH: 'stopped', STOP_TIMEOUT: 'stopped' } },
    stopped: { meta: { machine: 'stopped', holds: false }, on: { START: 'running' } },
  },
});
