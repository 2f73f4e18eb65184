import { createMachine } from 'xstate';

/**
 * Events of {@link stopRestartModel}, on a configuration with one driver,
 * one queue and one consumer (concurrency 1, a handler `timeout`, a long
 * restart backoff), run with the test runtime's fault driver:
 *
 * - `START`: `runtime.start()` while the queue's declaration is slow
 *   (`faults.declareDelay`), so the start is still under way;
 * - `DECLARED`: the declaration lands and the runtime is running;
 * - `WORK` / `FINISH`: a message arrives and the handler holds it / the
 *   handler returns;
 * - `BREAK`: the subscription breaks (`breakSubscriptions()`); the
 *   consumer waits out its restart backoff;
 * - `HANDLER_TIMEOUT`: the handler runs past `timeout`; its message is
 *   nacked and retried;
 * - `STOP`: `runtime.stop()`.
 */
export type StopRestartModelEvent = { type: 'START' | 'DECLARED' | 'WORK' | 'FINISH' | 'BREAK' | 'STOP' | 'HANDLER_TIMEOUT' };

/**
 * Abstract model of stop and restart interleaved with message work: a stop
 * in every state, including the awkward ones (while a queue is still
 * declaring, while a handler runs, while the consumer backs off after its
 * subscription broke, with and without a handler still running). No input.
 *
 * ```
 * loaded --START--> starting --DECLARED--> running --WORK--> busy --FINISH/HANDLER_TIMEOUT--> running
 * running --BREAK--> restarting;  busy --BREAK--> restartingBusy --FINISH--> restarting
 * every state --STOP--> stopped --START--> starting
 * ```
 *
 * `meta.consumer` lists the consumer actor's possible state values.
 * After every path the runtime is stopped, and a test checks that every
 * promise it got settled, no handler runs unless the stop reported it, and
 * `acked + queued = published`.
 */
export const stopRestartModel = createMachine({
  id: 'stop-restart-model',
  types: {} as { events: StopRestartModelEvent },
  initial: 'loaded',
  states: {
    loaded: { meta: { consumer: ['idle'] }, on: { START: 'starting', STOP: 'stopped' } },
    starting: { meta: { consumer: ['idle', 'stopped'] }, on: { DECLARED: 'running', STOP: 'stopped' } },
    running: { meta: { consumer: ['running'] }, on: { WORK: 'busy', BREAK: 'restarting', STOP: 'stopped' } },
    busy: { meta: { consumer: ['running'] }, on: { FINISH: 'running', BREAK: 'restartingBusy', STOP: 'stopped', HANDLER_TIMEOUT: 'running' } },
    restarting: { meta: { consumer: ['restarting'] }, on: { STOP: 'stopped' } },
    restartingBusy: { meta: { consumer: ['restarting'] }, on: { FINISH: 'restarting', STOP: 'stopped' } },
    stopped: { meta: { consumer: ['stopped'] }, on: { START: 'starting' } },
  },
});
