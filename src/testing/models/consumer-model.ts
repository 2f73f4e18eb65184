import { createMachine } from 'xstate';

/**
 * Events of {@link consumerModel}:
 *
 * - `START` / `STOP`: `runtime.startEntry(id)` / `runtime.stopEntry(id)`;
 * - `WORK`: a message arrives and the handler holds it;
 * - `FINISH`: the handler returns;
 * - `BREAK`: the subscription breaks (the backend ended it), the consumer
 *   restarts after its `lifecycle.restart` backoff;
 * - `STOP_TIMEOUT`: a stop waits `stop_timeout` for the handler and gives
 *   up (the message goes back to the queue, the stop rejects with
 *   `StopTimeoutError`).
 */
export type ConsumerModelEvent =
  | { type: 'START' }
  | { type: 'STOP' }
  | { type: 'WORK' }
  | { type: 'FINISH' }
  | { type: 'BREAK' }
  | { type: 'STOP_TIMEOUT' };

/**
 * Abstract model of a `queue.consumer` entry with one worker (concurrency 1)
 * and a short restart backoff. No input.
 *
 * ```
 * idle --START--> running --WORK--> busy --FINISH--> running
 *                   |  ^               \--STOP--> draining --FINISH / STOP_TIMEOUT--> stopped
 *                   |  +--BREAK (restart)
 *                   \--STOP--> stopped --START--> running
 * ```
 *
 * `busy` is `running` with a handler in flight, the only way to hold a
 * consumer in `draining`. `meta.machine` is the consumer actor's state
 * value, `meta.worker` its worker's, `meta.running` the handlers in
 * flight. A consumer that never started stops straight away (`idle ->
 * stopped`, its workers never leave `idle`); the model leaves that step
 * out so each state has one meaning. Written as a specification, not
 * derived from `machines/consumer.machine.ts`.
 */
export const consumerModel = createMachine({
  id: 'consumer-model',
  types: {} as { events: ConsumerModelEvent },
  initial: 'idle',
  states: {
    idle: { meta: { machine: 'idle', worker: 'idle', running: 0 }, on: { START: 'running' } },
    running: { meta: { machine: 'running', worker: 'running', running: 0 }, on: { STOP: 'stopped', WORK: 'busy', BREAK: 'running' } },
    busy: { meta: { machine: 'running', worker: 'running', running: 1 }, on: { STOP: 'draining', FINISH: 'running' } },
    draining: { meta: { machine: 'draining', worker: 'draining', running: 1 }, on: { FINISH: 'stopped', STOP_TIMEOUT: 'stopped' } },
    stopped: { meta: { machine: 'stopped', worker: 'stopped', running: 0 }, on: { START: 'running' } },
  },
});
