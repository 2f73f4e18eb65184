import { createMachine } from 'xstate';

/**
 * Events of {@link connectionModel}: `OPEN`/`CLOSE` are the driver opening
 * and closing its connection; `CONNECT_OK`/`CONNECT_FAIL` a connect attempt
 * succeeding or failing; `LOSE` a live connection dropping;
 * `BACKOFF_ELAPSED` the reconnect backoff passing; `CLOSED`/`CLOSE_FAIL` the
 * disconnect finishing or failing.
 */
export type ConnectionModelEvent = {
  type: 'OPEN' | 'CONNECT_OK' | 'CONNECT_FAIL' | 'LOSE' | 'BACKOFF_ELAPSED' | 'CLOSE' | 'CLOSED' | 'CLOSE_FAIL';
};

/**
 * Abstract model of an external driver's connection (AMQP, Redis, ...).
 * No input.
 *
 * ```
 * idle --OPEN--> connecting --CONNECT_OK--> connected --LOSE--> reconnecting
 *                   \--CONNECT_FAIL--> failed         BACKOFF_ELAPSED: retrying
 * retrying --CONNECT_OK--> connected, --CONNECT_FAIL--> reconnecting
 * every state but closing --CLOSE--> closing (or closed) --CLOSED/CLOSE_FAIL--> closed
 * ```
 *
 * A first connect that fails ends in `failed` (the driver's start fails
 * fast); once the connection was up, failures go back to `reconnecting`
 * and are retried until `CLOSE`. `retrying` is the machine's `connecting`
 * after the connection was up once: `meta.machine` is the connection
 * actor's state value. Written as a specification, not derived from
 * `machines/connection.machine.ts`.
 */
export const connectionModel = createMachine({
  id: 'connection-model',
  types: {} as { events: ConnectionModelEvent },
  initial: 'idle',
  states: {
    idle: { meta: { machine: 'idle' }, on: { OPEN: 'connecting', CLOSE: 'closed' } },
    connecting: { meta: { machine: 'connecting' }, on: { CONNECT_OK: 'connected', CONNECT_FAIL: 'failed', CLOSE: 'closing' } },
    connected: { meta: { machine: 'connected' }, on: { LOSE: 'reconnecting', CLOSE: 'closing' } },
    reconnecting: { meta: { machine: 'reconnecting' }, on: { BACKOFF_ELAPSED: 'retrying', CLOSE: 'closing' } },
    retrying: { meta: { machine: 'connecting' }, on: { CONNECT_OK: 'connected', CONNECT_FAIL: 'reconnecting', CLOSE: 'closing' } },
    closing: { meta: { machine: 'closing' }, on: { CLOSED: 'closed', CLOSE_FAIL: 'closed' } },
    closed: { meta: { machine: 'closed' }, on: { OPEN: 'connecting' } },
    failed: { meta: { machine: 'failed' }, on: { OPEN: 'connecting', CLOSE: 'closed' } },
  },
});
