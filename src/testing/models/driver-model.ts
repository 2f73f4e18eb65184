import { createMachine } from 'xstate';

/**
 * Events of {@link driverModel}. `START`/`STOP` are `runtime.startEntry(id)`
 * / `runtime.stopEntry(id)`; the rest script the backend (with the test
 * runtime's fault driver, the `faults` and connection methods named):
 *
 * - `START_FLAKY`: the first start fails, the restart succeeds;
 * - `START_DOWN`: every start fails until the restart policy gives up;
 * - `HANG`: the start does not answer (held) ...
 * - ... then `RELEASE` (it succeeds), `REJECT` (it fails, the restart
 *   succeeds), `TIMEOUT` (`start_timeout` passes, the restart succeeds) or
 *   `TIMEOUT_DOWN` (every start hangs until the policy gives up);
 * - `LOSE`: the broker connection drops (`dropConnection()`), `RETRY`: one
 *   more reconnect attempt fails, `RECOVER`: it is back (`restoreConnection()`);
 * - `BREAK`: the connection gives up (`failConnection()`), the driver
 *   restarts; `BREAK_DOWN`: the same and every restart fails;
 *   `BREAK_STOP`: a stop arrives during that restart's backoff;
 * - `STOP_HANG`: a stop whose close does not answer within `stop_timeout`;
 *   `STOP_FAIL`: a stop whose close fails.
 */
export type DriverModelEvent = {
  type:
    | 'START' | 'START_FLAKY' | 'START_DOWN' | 'HANG' | 'RELEASE' | 'REJECT' | 'TIMEOUT' | 'TIMEOUT_DOWN'
    | 'LOSE' | 'RETRY' | 'RECOVER' | 'BREAK' | 'BREAK_DOWN' | 'BREAK_STOP' | 'STOP' | 'STOP_HANG' | 'STOP_FAIL';
};

/**
 * Abstract model of a `queue.driver.*` entry: its start, connection and
 * restart states as a test can hold them. No input; the events assume a
 * restart policy with a few ms of backoff and a small `max_attempts`.
 *
 * ```
 * idle --START--> connected --LOSE--> reconnecting --RECOVER--> connected
 *   \--HANG--> starting --RELEASE/REJECT/TIMEOUT--> connected
 *   \--START_DOWN--> failed --START--> connected
 * connected --BREAK--> connected (restarted)   --STOP/STOP_HANG/STOP_FAIL--> stopped
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
    idle: { meta: { machine: 'idle' }, on: { START: 'connected', START_FLAKY: 'connected', START_DOWN: 'failed', HANG: 'starting', STOP: 'stopped' } },
    /** A first connect in flight (the driver's start is held by the test). */
    starting: { meta: { machine: 'starting' }, on: { RELEASE: 'connected', REJECT: 'connected', TIMEOUT: 'connected', TIMEOUT_DOWN: 'failed', STOP: 'stopped' } },
    connected: {
      meta: { machine: 'running.connected' },
      on: { LOSE: 'reconnecting', BREAK: 'connected', BREAK_DOWN: 'failed', BREAK_STOP: 'stopped', STOP: 'stopped', STOP_HANG: 'stopped', STOP_FAIL: 'stopped' },
    },
    reconnecting: { meta: { machine: 'running.reconnecting' }, on: { RETRY: 'reconnecting', RECOVER: 'connected', BREAK: 'connected', STOP: 'stopped' } },
    failed: { meta: { machine: 'failed' }, on: { START: 'connected', STOP: 'stopped' } },
    stopped: { meta: { machine: 'stopped' }, on: { START: 'connected' } },
  },
});
