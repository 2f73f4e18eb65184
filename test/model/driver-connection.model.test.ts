import { afterEach, describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { z } from 'zod';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { builtinKinds } from '../../src/kinds/builtin-kinds.ts';
import type { DriverKind, KindCatalog } from '../../src/kinds/kind-descriptors.ts';
import { MemoryDriver } from '../../src/drivers/memory/memory-driver.ts';
import { memoryQueueOptionsSchema } from '../../src/drivers/memory/memory-kind.ts';
import type { DriverStatusEvent } from '../../src/drivers/driver.ts';
import { stateString, type RuntimeStatusEvent } from '../../src/runtime/runtime-events.ts';
import { StartError, StopTimeoutError } from '../../src/errors/lifecycle-errors.ts';
import { driverModel, type DriverModelEvent } from '../../src/testing/models/driver-model.ts';
import { eventLabel, runPath, scenarioPath, transitionPaths } from '../../src/testing/paths.ts';
import { until } from '../../src/testing/until.ts';

/**
 * Model-based tests of the driver machine's connection and restart states
 * (`running.connected <-> running.reconnecting`, `driver.failed`,
 * `restarting`, `failed`, start errors and timeouts, stop while starting or
 * restarting, draining errors and timeouts) on the real runtime, with a
 * memory driver whose `status$` the test pushes connection events into and
 * whose `start`/`stop` the test scripts (fail, hang, release).
 *
 * The machine invokes promises and has `after` timers, which
 * `createTestModel` rejects, so the model is the kit's abstract
 * `driverModel` (`src/testing/`): the states a test can hold, with
 * explicit events, written as the specification (not derived from
 * `machines/`). The transient states
 * (`restarting`, `draining`, the `starting` of a restart) are checked
 * through `TRACE`: the lifecycle states `runtime.events$` must report for
 * the driver during each model transition. After each step the actor's
 * `getSnapshot().value`, its `attempts`/`reconnectAttempt`/`error`/
 * `stopTimedOut` and the driver's start/stop calls must match.
 *
 * Restart policy: 5 ms backoff, `max_attempts: 2` (two restarts after the
 * first failure, so three failing starts end in `failed`); `start_timeout`
 * 250 ms (a held start stays in `starting` for the few ms of a step);
 * `stop_timeout` 150 ms.
 */
const UP = ['starting', 'running.connected'];
const RESTART = ['restarting', 'starting', 'running.connected'];
const GIVE_UP = ['restarting', 'starting', 'restarting', 'starting', 'failed'];

/** Lifecycle states `runtime.events$` reports for the driver during each model transition. */
const TRACE: Record<string, string[]> = {
  'idle:START': UP,
  'idle:START_FLAKY': ['starting', ...RESTART], // starting --error--> restarting --after--> starting --done--> running
  'idle:START_DOWN': ['starting', ...GIVE_UP], // third failing start: attempts >= max_attempts
  'idle:HANG': ['starting'],
  'idle:STOP': ['stopped'],
  'starting:RELEASE': ['running.connected'],
  'starting:REJECT': RESTART,
  'starting:TIMEOUT': RESTART,
  'starting:TIMEOUT_DOWN': GIVE_UP,
  'starting:STOP': ['draining', 'stopped'],
  'connected:LOSE': ['running.reconnecting'],
  'connected:BREAK': RESTART,
  'connected:BREAK_DOWN': GIVE_UP,
  'connected:BREAK_STOP': ['restarting', 'draining', 'stopped'],
  'connected:STOP': ['draining', 'stopped'],
  'connected:STOP_HANG': ['draining', 'stopped'],
  'connected:STOP_FAIL': ['draining', 'stopped'],
  'reconnecting:RETRY': [],
  'reconnecting:RECOVER': ['running.connected'],
  'reconnecting:BREAK': RESTART,
  'reconnecting:STOP': ['draining', 'stopped'],
  'failed:START': UP,
  'failed:STOP': ['draining', 'stopped'],
  'stopped:START': UP,
};

/** Error recorded on the `restarting`/`failed` lifecycle events of each transition that has them. */
const ERROR: Record<string, string> = {
  START_FLAKY: 'backend unreachable',
  START_DOWN: 'backend unreachable',
  REJECT: 'handshake refused',
  TIMEOUT: 'start timed out',
  TIMEOUT_DOWN: 'start timed out',
  BREAK: 'connection gave up',
  BREAK_DOWN: 'connection gave up', // then `backend unreachable` from the failing restarts
  BREAK_STOP: 'connection gave up',
};

interface Held {
  resolve(): void;
  reject(error: unknown): void;
}

/** A memory driver whose connection events and start/stop outcomes the test scripts. */
class ScriptedDriver extends MemoryDriver {
  readonly #status = new Subject<DriverStatusEvent>();
  override readonly status$: Observable<DriverStatusEvent> = this.#status.asObservable();
  /** The next `failStarts` starts throw `backend unreachable`. */
  failStarts = 0;
  /** The next `holdStarts` starts wait for the test (`held`). */
  holdStarts = 0;
  /** The next stop waits for the test (`hold`) or rejects (`fail`). */
  nextStop: 'ok' | 'hold' | 'fail' = 'ok';
  starts = 0;
  stops = 0;
  readonly held: Held[] = [];

  override async start(): Promise<void> {
    this.starts++;
    if (this.failStarts > 0) {
      this.failStarts--;
      throw new Error('backend unreachable');
    }
    if (this.holdStarts > 0) {
      this.holdStarts--;
      await new Promise<void>((resolve, reject) => this.held.push({ resolve, reject }));
    }
    return super.start();
  }

  override async stop(): Promise<void> {
    this.stops++;
    const mode = this.nextStop;
    this.nextStop = 'ok';
    if (mode === 'fail') throw new Error('close refused');
    if (mode === 'hold') await new Promise<void>((resolve, reject) => this.held.push({ resolve, reject }));
    return super.stop();
  }

  push(event: DriverStatusEvent): void {
    this.#status.next(event);
  }
}

const scriptedKind = (made: (d: ScriptedDriver) => void): DriverKind => ({
  kind: 'queue.driver.scripted',
  optionsKey: 'memory',
  schema: z.object({}).strict(),
  queueOptionsSchema: memoryQueueOptionsSchema,
  create: async (entry) => {
    const driver = new ScriptedDriver(entry.id);
    made(driver);
    return driver;
  },
});

const YAML = `
namespace: dm
entries:
  - name: driver
    kind: queue.driver.scripted
    lifecycle:
      auto_start: false
      start_timeout: 250ms
      stop_timeout: 150ms
      restart: { initial_delay: 5ms, max_delay: 5ms, jitter: 0, max_attempts: 2 }
`;
const ID = 'dm:driver';

interface Setup {
  readonly runtime: Runtime;
  readonly driver: ScriptedDriver;
  readonly events: RuntimeStatusEvent[];
}

async function setUp(): Promise<Setup> {
  let driver: ScriptedDriver | undefined;
  const kinds: KindCatalog = {
    drivers: new Map([...builtinKinds.drivers, ['queue.driver.scripted', scriptedKind((d) => (driver = d))]]),
    functions: builtinKinds.functions,
  };
  const runtime = createRuntime({ registry: parseConfigText(YAML, '<driver-model>', { kinds }), kinds, logger: silentLogger });
  const events: RuntimeStatusEvent[] = [];
  runtime.events$.subscribe((e) => events.push(e));
  await runtime.load();
  return { runtime, driver: driver!, events };
}

/**
 * The events each model state takes here, variants included. A variant is
 * offered only where its backend behaviour is defined (a close that hangs
 * needs a driver that was started), so the paths are the ones in `TRACE`.
 */
const EVENTS_IN: Record<string, DriverModelEvent[]> = {
  idle: [{ type: 'START' }, { type: 'START', backend: 'flaky' }, { type: 'START_DOWN' }, { type: 'HANG' }, { type: 'STOP' }],
  starting: [{ type: 'RELEASE' }, { type: 'RELEASE', outcome: 'reject' }, { type: 'RELEASE', outcome: 'timeout' }, { type: 'TIMEOUT_DOWN' }, { type: 'STOP' }],
  connected: [{ type: 'LOSE' }, { type: 'BREAK' }, { type: 'BREAK', then: 'stop' }, { type: 'BREAK_DOWN' }, { type: 'STOP' }, { type: 'STOP', close: 'hang' }, { type: 'STOP', close: 'fail' }],
  reconnecting: [{ type: 'RETRY' }, { type: 'RECOVER' }, { type: 'BREAK' }, { type: 'STOP' }],
  failed: [{ type: 'START' }, { type: 'STOP' }],
  stopped: [{ type: 'START' }],
};

/** The name this suite gives each event variant (its `TRACE`/`ERROR` key). */
const NAME: Record<string, string> = {
  'START(backend=flaky)': 'START_FLAKY',
  'RELEASE(outcome=reject)': 'REJECT',
  'RELEASE(outcome=timeout)': 'TIMEOUT',
  'BREAK(then=stop)': 'BREAK_STOP',
  'STOP(close=hang)': 'STOP_HANG',
  'STOP(close=fail)': 'STOP_FAIL',
};
const nameOf = (event: EventObject) => NAME[eventLabel(event)] ?? event.type;

const { paths } = transitionPaths(driverModel, (state) => EVENTS_IN[state] ?? []);

/** A reconnect loop longer than the generated paths, and recovery after giving up. */
const SCENARIOS = [
  scenarioPath(driverModel, 'connection lost, 3 more reconnect attempts, back; lost again (attempt restarts at 1)', [
    'START', 'LOSE', 'RETRY', 'RETRY', 'RETRY', 'RECOVER', 'LOSE', 'RECOVER',
  ]),
  scenarioPath(driverModel, 'restarts reset attempts: break, break, lose, break; give up; start again', [
    'START', 'BREAK', 'BREAK', 'LOSE', 'BREAK', 'BREAK_DOWN', 'START', 'LOSE', 'STOP', 'START',
  ]),
];

describe('model: driver machine connection and restart states on the real runtime', () => {
  let s: Setup | undefined;
  const subs: Subscription[] = [];
  afterEach(async () => {
    for (const sub of subs.splice(0)) sub.unsubscribe();
    if (s) {
      for (const h of s.driver.held) h.resolve();
      await s.runtime.stop().catch(() => {});
    }
    s = undefined;
  });

  it('covers every transition of the abstract model', () => {
    const taken = paths.map((p) => `${JSON.parse(p.description.split(' ')[0]!)}:${nameOf(p.steps.at(-1)!.event)}`).sort();
    expect(taken).toEqual(Object.keys(TRACE).sort());
  });

  it.each([...paths, ...SCENARIOS].map((p) => [p.description, p] as const))('%s', async (_d, path) => {
    const setup = (s = await setUp());
    const { runtime, driver, events } = setup;
    const actor = () => runtime.system.get(ID)!;
    const context = () => actor().getSnapshot().context as { attempts: number; reconnectAttempt: number; error?: string; stopTimedOut: boolean };
    let mark = 0;
    const lifecycle = () => events.slice(mark).flatMap((e) => (e.type === 'lifecycle' && e.id === ID ? [e] : []));
    const trace = () => lifecycle().map((e) => e.state);

    let reconnectAttempt = 0; // what the specification expects in context
    let attempts = 0;
    let pendingStart: Promise<unknown> | undefined; // startEntry() of a held start
    const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => e);

    const exec = async (event: EventObject, from: string, to: string) => {
      mark = events.length;
      const name = nameOf(event);
      const key = `${from}:${name}`;
      const startsBefore = driver.starts;
      switch (name) {
        case 'START':
          // The backend is reachable again (after START_DOWN/BREAK_DOWN/TIMEOUT_DOWN).
          driver.failStarts = 0;
          driver.holdStarts = 0;
          expect(await outcome(runtime.startEntry(ID))).toBe('ok');
          break;
        case 'START_FLAKY':
        case 'START_DOWN': {
          driver.failStarts = name === 'START_FLAKY' ? 1 : 99;
          // startEntry reports the first failure; the restart policy goes on in the background.
          const error = await outcome(runtime.startEntry(ID));
          expect(error).toBeInstanceOf(StartError);
          expect(String((error as StartError).failures.get(ID))).toMatch(/failed, retrying in the background: backend unreachable/);
          break;
        }
        case 'HANG':
          driver.holdStarts = 1;
          pendingStart = outcome(runtime.startEntry(ID));
          break;
        case 'RELEASE':
          driver.held.shift()!.resolve();
          expect(await pendingStart).toBe('ok');
          break;
        case 'REJECT':
          driver.held.shift()!.reject(new Error('handshake refused'));
          expect(await pendingStart).toBeInstanceOf(StartError);
          break;
        case 'TIMEOUT':
        case 'TIMEOUT_DOWN':
          if (name === 'TIMEOUT_DOWN') driver.holdStarts = 99;
          expect(await pendingStart).toBeInstanceOf(StartError);
          break;
        case 'LOSE':
          driver.push({ type: 'reconnecting', attempt: (reconnectAttempt = 1), error: new Error('socket closed') });
          break;
        case 'RETRY':
          driver.push({ type: 'reconnecting', attempt: ++reconnectAttempt, error: new Error('ECONNREFUSED') });
          break;
        case 'RECOVER':
          driver.push({ type: 'connected' });
          break;
        case 'BREAK':
        case 'BREAK_DOWN':
          if (name === 'BREAK_DOWN') driver.failStarts = 99;
          driver.push({ type: 'failed', error: new Error('connection gave up') });
          break;
        case 'BREAK_STOP': {
          // Stop while restarting: sent as the driver enters `restarting`, before its 5 ms backoff can run.
          const sub = runtime.events$.subscribe((e) => {
            if (e.type === 'lifecycle' && e.id === ID && e.state === 'restarting') actor().send({ type: 'driver.stop' });
          });
          subs.push(sub);
          driver.push({ type: 'failed', error: new Error('connection gave up') });
          sub.unsubscribe();
          break;
        }
        case 'STOP':
          // The runtime's stopEntry skips idle and failed entries; the machine still takes driver.stop.
          if (from === 'idle' || from === 'failed') actor().send({ type: 'driver.stop' });
          else expect(await outcome(runtime.stopEntry(ID))).toBe('ok');
          // A startEntry() waiting on a held start settles too: it rejects with 'stopped while starting'.
          break;
        case 'STOP_HANG': {
          driver.nextStop = 'hold';
          const error = await outcome(runtime.stopEntry(ID));
          expect(error).toBeInstanceOf(StopTimeoutError);
          expect([...(error as StopTimeoutError).pending.keys()]).toEqual([ID]);
          break;
        }
        case 'STOP_FAIL':
          driver.nextStop = 'fail';
          expect(await outcome(runtime.stopEntry(ID))).toBe('ok');
          break;
      }
      await until(() => expect(trace()).toEqual(TRACE[key]), 2000);

      // Errors on the restarting/failed lifecycle events, and the start calls made.
      const errors = lifecycle().flatMap((e) => (e.state === 'restarting' || e.state === 'failed' ? [e.error] : []));
      const restartsOrFailures = TRACE[key]!.filter((st) => st === 'restarting' || st === 'failed').length;
      expect(errors).toHaveLength(restartsOrFailures);
      if (restartsOrFailures > 0) {
        expect(errors[0]).toBe(ERROR[name]);
        if (name === 'BREAK_DOWN') expect(errors.slice(1)).toEqual(['backend unreachable', 'backend unreachable']);
      }
      const startsInTrace = TRACE[key]!.filter((st) => st === 'starting').length;
      // A held start that was released or rejected was called in an earlier step.
      expect(driver.starts - startsBefore).toBe(startsInTrace);

      if (to === 'failed') attempts = 3;
      else if (to === 'connected' || to === 'starting') attempts = 0;
      if (to === 'connected') reconnectAttempt = 0;
      if (to === 'stopped') {
        expect(context().stopTimedOut).toBe(name === 'STOP_HANG');
        if (name === 'STOP_FAIL') expect(context().error).toBe('close refused');
      }
    };

    const check = async (state: string) => {
      const value = state === 'connected' || state === 'reconnecting' ? `running.${state}` : state;
      await until(() => expect(stateString(actor().getSnapshot().value)).toBe(value));
      if (state === 'connected' || state === 'reconnecting') expect(context().reconnectAttempt).toBe(reconnectAttempt);
      // The loss's error; later `reconnecting` events only update the attempt.
      if (state === 'reconnecting') expect(context().error).toBe('socket closed');
      if (state === 'connected' || state === 'failed' || state === 'starting') expect(context().attempts).toBe(attempts);
      if (state === 'failed') expect(context().error).toMatch(/backend unreachable|start timed out/);
    };

    await runPath(path, { exec, check });
  });
});
