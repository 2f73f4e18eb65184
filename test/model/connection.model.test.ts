import { afterEach, describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import { ConnectionSupervisor, type ConnectionHooks } from '../../src/drivers/connection-supervisor.ts';
import type { DriverStatusEvent } from '../../src/drivers/driver.ts';
import { connectionModel } from '../../src/testing/models/connection-model.ts';
import { runPath, scenarioPath, transitionPaths } from '../../src/testing/paths.ts';
import { until } from '../../src/testing/until.ts';

/**
 * Model-based tests of `machines/connection.machine.ts`, driven through the
 * real `ConnectionSupervisor` with hooks the test settles by hand: every
 * `connect` stays pending until the model says `CONNECT_OK`/`CONNECT_FAIL`,
 * every `disconnect` until `CLOSED`/`CLOSE_FAIL`, and `watch` hands out the
 * `lost()` trigger. The backoff is 1-5 ms.
 *
 * The machine invokes promises and has an `after` timer, which
 * `createTestModel` rejects, so the model is the kit's abstract
 * `connectionModel` (`src/testing/`), the specification of the same states
 * with explicit events, not derived from `machines/`. `retrying` is the
 * machine's `connecting` after the connection was up once (its
 * `everConnected` guard), so a failure there goes back to `reconnecting`
 * instead of `failed`.
 *
 * `transitionPaths` generates one path per model transition (shortest path
 * to the source state, then the event); together they take every
 * transition of the real machine (15, listed in `MACHINE_TRANSITION`).
 * After each step the supervisor's `state`, the `status$` events of that
 * step (with attempt numbers and errors), the `connect(attempt)` calls, the
 * watcher and the `open()`/`close()`/`whenConnected()` promises must match.
 */
/** Model transition -> the transition of `machines/connection.machine.ts` it takes. */
const MACHINE_TRANSITION: Record<string, string> = {
  'idle:OPEN': 'idle --connection.open--> connecting',
  'idle:CLOSE': 'idle --connection.close--> closed',
  'connecting:CONNECT_OK': 'connecting --done(connect)--> connected',
  'connecting:CONNECT_FAIL': 'connecting --error(connect)--> failed',
  'connecting:CLOSE': 'connecting --connection.close--> closing',
  'connected:LOSE': 'connected --connection.lost--> reconnecting',
  'connected:CLOSE': 'connected --connection.close--> closing',
  'reconnecting:BACKOFF_ELAPSED': 'reconnecting --after(reconnectDelay)--> connecting',
  'reconnecting:CLOSE': 'reconnecting --connection.close--> closing',
  'retrying:CONNECT_OK': 'connecting --done(connect)--> connected',
  'retrying:CONNECT_FAIL': 'connecting --error(connect) [wasConnected]--> reconnecting',
  'retrying:CLOSE': 'connecting --connection.close--> closing',
  'closing:CLOSED': 'closing --done(disconnect)--> closed',
  'closing:CLOSE_FAIL': 'closing --error(disconnect)--> closed',
  'closed:OPEN': 'closed --connection.open--> connecting',
  'failed:OPEN': 'failed --connection.open--> connecting',
  'failed:CLOSE': 'failed --connection.close--> closed',
};

/** The supervisor's `state` in each model state. */
const SUPERVISOR_STATE: Record<string, string> = { retrying: 'connecting' };

interface Deferred {
  readonly attempt: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** Hooks whose every call the test settles by hand. */
class ControlledConnection implements ConnectionHooks {
  readonly connects: Deferred[] = [];
  readonly disconnects: Deferred[] = [];
  /** The `lost` callback of the live watcher; undefined when nothing watches. */
  lost: ((error?: unknown) => void) | undefined;
  watches = 0;
  connect(attempt: number): Promise<void> {
    return new Promise((resolve, reject) => this.connects.push({ attempt, resolve, reject }));
  }
  watch(lost: (error?: unknown) => void): () => void {
    this.watches++;
    this.lost = lost;
    return () => {
      this.lost = undefined;
    };
  }
  disconnect(): Promise<void> {
    return new Promise((resolve, reject) => this.disconnects.push({ attempt: 0, resolve, reject }));
  }
}

/** A promise's outcome, readable without awaiting it. */
interface Tracked {
  readonly promise: Promise<void>;
  outcome: { ok: true } | { ok: false; error: unknown } | undefined;
}
const track = (promise: Promise<void>): Tracked => {
  const t: Tracked = { promise, outcome: undefined };
  promise.then(
    () => void (t.outcome = { ok: true }),
    (error: unknown) => void (t.outcome = { ok: false, error }),
  );
  return t;
};
const settled = async (t: Tracked | undefined) => {
  await t?.promise.catch(() => {});
  return t?.outcome;
};

const { paths } = transitionPaths(connectionModel);

/** Longer runs than the generated paths: a reconnect loop whose attempt grows, and reopening. */
const SCENARIOS = [
  scenarioPath(connectionModel, 'reconnect fails 3 times (attempt 1..4), connects, attempt resets on the next loss', [
    'OPEN', 'CONNECT_OK', 'LOSE',
    'BACKOFF_ELAPSED', 'CONNECT_FAIL', 'BACKOFF_ELAPSED', 'CONNECT_FAIL', 'BACKOFF_ELAPSED', 'CONNECT_FAIL', 'BACKOFF_ELAPSED', 'CONNECT_OK',
    'LOSE', 'BACKOFF_ELAPSED', 'CONNECT_OK',
  ]),
  scenarioPath(connectionModel, 'reopen after failed and after closed, then lose and reconnect', [
    'OPEN', 'CONNECT_FAIL', 'OPEN', 'CONNECT_OK', 'CLOSE', 'CLOSED', 'OPEN', 'CONNECT_OK', 'LOSE', 'BACKOFF_ELAPSED', 'CONNECT_OK',
  ]),
  scenarioPath(connectionModel, 'after a close, a failing reopen is a first connect again: failed, not reconnecting', [
    'OPEN', 'CONNECT_OK', 'CLOSE', 'CLOSED', 'OPEN', 'CONNECT_FAIL', 'OPEN', 'CONNECT_OK',
  ]),
  scenarioPath(connectionModel, 'close while the reconnect attempt is in flight, reopen', [
    'OPEN', 'CONNECT_OK', 'LOSE', 'BACKOFF_ELAPSED', 'CONNECT_FAIL', 'BACKOFF_ELAPSED', 'CLOSE', 'CLOSE_FAIL', 'OPEN', 'CONNECT_OK',
  ]),
];

describe('model: connection machine through ConnectionSupervisor', () => {
  let supervisor: ConnectionSupervisor | undefined;
  let hooks: ControlledConnection | undefined;
  afterEach(() => {
    supervisor?.dispose();
    for (const d of [...(hooks?.connects ?? []), ...(hooks?.disconnects ?? [])]) d.resolve();
    supervisor = undefined;
    hooks = undefined;
  });

  it('covers every transition of the abstract model, and so every transition of the machine', () => {
    const taken = paths.map((p) => p.description.replace(/"/g, '').replace(/ --(\S+)--> \S+/, ':$1')).sort();
    expect(taken).toEqual(Object.keys(MACHINE_TRANSITION).sort());
    expect(new Set(Object.values(MACHINE_TRANSITION)).size).toBe(15);
  });

  it.each([...paths, ...SCENARIOS].map((p) => [p.description, p] as const))('%s', async (_d, path) => {
    const conn = (hooks = new ControlledConnection());
    const sup = (supervisor = new ConnectionSupervisor(conn, { initialDelay: 1, maxDelay: 5, factor: 2, jitter: 0 }, { id: 'model-connection' }));
    const status: DriverStatusEvent[] = [];
    sup.status$.subscribe((e) => status.push(e));

    // What the specification expects besides the state.
    let attempt = 0; // reconnect attempts since the last successful connect
    let failures = 0;
    let lastError: unknown;
    let expectedStatus: DriverStatusEvent[] = [];
    let opening: Tracked | undefined; // open() in flight
    let closing: Tracked | undefined; // close() in flight
    let waiting: Tracked | undefined; // whenConnected() started when the connection was lost
    let seen = 0;
    const nextStatus = () =>
      new Promise<void>((resolve) => {
        const sub = sup.status$.subscribe(() => {
          sub.unsubscribe();
          resolve();
        });
      });

    const exec = async (event: EventObject, from: string, to: string) => {
      seen = status.length;
      expectedStatus = [];
      switch (event.type) {
        case 'OPEN': {
          const before = conn.connects.length;
          opening = track(sup.open());
          attempt = 0;
          expect(conn.connects.length).toBe(before + 1);
          expect(conn.connects.at(-1)!.attempt).toBe(0);
          break;
        }
        case 'CONNECT_OK': {
          const whenUp = track(sup.whenConnected(1000));
          const up = nextStatus();
          conn.connects.at(-1)!.resolve();
          await up;
          attempt = 0;
          expectedStatus = [{ type: 'connected' }];
          await whenUp.promise;
          if (from === 'connecting') expect(await settled(opening)).toEqual({ ok: true });
          if (from === 'retrying') {
            // A publish waiting since the loss goes out after the reconnect.
            expect(await settled(waiting)).toEqual({ ok: true });
            waiting = undefined;
          }
          break;
        }
        case 'CONNECT_FAIL': {
          const error = (lastError = new Error(`connect failed #${++failures}`));
          const changed = nextStatus();
          conn.connects.at(-1)!.reject(error);
          await changed;
          if (from === 'connecting') {
            expectedStatus = [{ type: 'failed', error }];
            expect(await settled(opening)).toEqual({ ok: false, error });
          } else {
            attempt++;
            expectedStatus = [{ type: 'reconnecting', attempt, error }];
          }
          break;
        }
        case 'LOSE': {
          const error = (lastError = new Error('socket closed'));
          expect(conn.lost).toBeTypeOf('function');
          conn.lost!(error);
          attempt++;
          expectedStatus = [{ type: 'reconnecting', attempt, error }];
          waiting = track(sup.whenConnected(5000));
          break;
        }
        case 'BACKOFF_ELAPSED': {
          const before = conn.connects.length;
          await until(() => expect(conn.connects.length).toBe(before + 1), 1000);
          expect(conn.connects.at(-1)!.attempt).toBe(attempt);
          break;
        }
        case 'CLOSE': {
          const before = conn.disconnects.length;
          closing = track(sup.close());
          // Only a connection that may be open is disconnected.
          expect(conn.disconnects.length).toBe(before + (to === 'closing' ? 1 : 0));
          if (to === 'closed') expect(await settled(closing)).toEqual({ ok: true });
          break;
        }
        case 'CLOSED':
        case 'CLOSE_FAIL': {
          const d = conn.disconnects.at(-1)!;
          if (event.type === 'CLOSED') d.resolve();
          else d.reject(new Error('disconnect failed'));
          expect(await settled(closing)).toEqual({ ok: true });
          break;
        }
      }
      // open() started from idle/closed/failed and not answered yet ends with the close.
      if (to === 'closed' && opening && !opening.outcome) {
        const outcome = await settled(opening);
        expect(outcome?.ok).toBe(false);
      }
    };

    // No timer may run between a step and its check: `reconnecting` lasts 1-5 ms,
    // so this check is synchronous and every wait before it is a microtask.
    const check = async (state: string) => {
      expect(sup.state).toBe(SUPERVISOR_STATE[state] ?? state);
      expect(status.slice(seen)).toEqual(expectedStatus);
      expect(conn.lost !== undefined).toBe(state === 'connected');
      if (state === 'failed' || state === 'reconnecting' || state === 'retrying') expect(sup.lastError).toBe(lastError);
      if (state === 'connected' || state === 'idle') expect(sup.lastError).toBeUndefined();
      if (state === 'retrying') {
        // Connect in flight after a loss: a publish waiting for it times out.
        await expect(sup.whenConnected(2)).rejects.toThrow();
      }
    };

    await runPath(path, { exec, check });
  });
});
