import { createMachine } from 'xstate';

/**
 * Events of {@link driverModel}. `START`/`STOP` are `runtime.startEntry(id)`
 * / `runtime.stopEntry(id)`; the rest script the backend (with the test
 * runtime's fault driver: its `faults` and connection methods). Optional
 * fields pick a variant with the same model step; without them the event
 * is the plain case, which is all `xstate/graph` uses unless given the
 * variants as events.
 *
 * - `START`: the driver starts (`backend: 'flaky'`: its first start fails
 *   and the restart succeeds); `START_DOWN`: every start fails until the
 *   restart policy gives up;
 * - `HANG`: the start does not answer (held) until `RELEASE`: it succeeds
 *   (`outcome: 'reject'`: it fails and the restart succeeds; `'timeout'`:
 *   `start_timeout` passes and the restart succeeds), or `TIMEOUT_DOWN`:
 *   every start hangs until the policy gives up;
 * - `LOSE`: the broker connection drops (`dropConnection()`), `RETRY`: one
 *   more reconnect attempt fails, `RECOVER`: it is back
 *   (`restoreConnection()`);
 * - `BREAK`: the connection gives up (`failConnection()`) and the driver
 *   restarts (`then: 'stop'`: a stop arrives during the restart's backoff);
 *   `BREAK_DOWN`: the same and every restart fails;
 * - `STOP` (`close: 'hang'`: the close does not answer within
 *   `stop_timeout`; `'fail'`: the close fails).
 */
export type DriverModelEvent =
  | { type: 'START'; backend?: 'flaky' }
  | { type: 'START_DOWN' | 'HANG' | 'TIMEOUT_DOWN' | 'LOSE' | 'RETRY' | 'RECOVER' | 'BREAK_DOWN' }
  | { type: 'RELEASE'; outcome?: 'reject' | 'timeout' }
  | { type: 'BREAK'; then?: 'stop' }
  | { type: 'STOP'; close?: 'hang' | 'fail' };

/**
 * Abstract model of a `queue.driver.*` entry: its start, connection and
 * restart states as a test can hold them. No input; the events assume a
 * restart policy with a few ms of backoff and a small `max_attempts`.
 *
 * ```
 * idle --START--> connected --LOSE--> reconnecting --RECOVER--> connected
 *   \--HANG--> starting --RELEASE--> connected
 *   \--START_DOWN--> failed --START--> connected
 * connected --BREAK--> connected (restarted), --BREAK_DOWN--> failed, --STOP--> stopped --START--> connected
 * ```
 *
 * `meta.machine` is the driver actor's state value (`running.connected`
 * for `connected`). With only `START` and `STOP` it is the plain
 * `idle -> connected -> stopped -> connected` lifecycle any driver has.
 * Written as a specification, not derived from `machines/driver.machine.ts`.
 */
export const driverModel = createMachine({
  id: 'driver-model',
  types: {} as { events: DriverModelEvent },
  initial: 'idle',
  states: {
    idle: { meta: { machine: 'idle' }, on: { START: 'connected', START_DOWN: 'failed', HANG: 'starting', STOP: 'stopped' } },
    /** A first connect in flight (the driver's start is held by the test). */
    starting: { meta: { machine: 'starting' }, on: { RELEASE: 'connected', TIMEOUT_DOWN: 'failed', STOP: 'stopped' } },
    connected: {
      meta: { machine: 'running.connected' },
      on: {
        LOSE: 'reconnecting',
        BREAK: [{ guard: ({ event }) => event.then === 'stop', target: 'stopped' }, { target: 'connected' }],
        BREAK_DOWN: 'failed',
        STOP: 'stopped',
      },
    },
    reconnecting: { meta: { machine: 'running.reconnecting' }, on: { RETRY: 'reconnecting', RECOVER: 'connected', BREAK: 'connected', STOP: 'stopped' } },
    failed: { meta: { machine: 'failed' }, on: { START: 'connected', STOP: 'stopped' } },
    stopped: { meta: { machine: 'stopped' }, on: { START: 'connected' } },
  },
});
