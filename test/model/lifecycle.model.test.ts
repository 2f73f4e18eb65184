import { afterEach, describe, expect, it, beforeAll } from 'vitest';
import type { AnyStateMachine, EventObject } from 'xstate';
import { RUNTIME_TARGETS, GatedHandler, makeHarness, until, type Harness } from './runtime-targets.ts';
import { runPath, stateMeta, transitionPaths } from '../../src/testing/paths.ts';
import { runtimeModel } from '../../src/testing/models/runtime-model.ts';
import { queueModel } from '../../src/testing/models/queue-model.ts';
import { driverModel } from '../../src/testing/models/driver-model.ts';
import { stateString } from '../../src/runtime/runtime-events.ts';

/**
 * Model-based tests of the runtime, queue and driver machines on the real
 * runtime, on every backend available. All three invoke promise actors
 * (and the driver has `after` timers), which `createTestModel` rejects, so
 * each is tested through the kit's abstract model of its states
 * (`src/testing/models/`), with the events the public API can cause on a
 * real broker (`LOAD`, `START`, `STOP`; the fault events run on the fault
 * driver in other suites). The model state's `meta.machine` is the actor's
 * state value; every model transition also names the lifecycle states the
 * real actor must pass through (`runtime.events$`), so the transient
 * `loading`/`starting`/`stopping`/`draining` states are checked as well.
 */
interface LifecycleSpec {
  readonly name: string;
  readonly model: AnyStateMachine;
  readonly events: readonly EventObject[];
  readonly trace: Record<string, string[]>;
  /** Registry ID whose actor is checked (`actorq` is the root). */
  id(h: Harness): string;
  exec(h: Harness, event: string): Promise<void>;
  /** Prepares the harness before the path (e.g. load). */
  prepare(h: Harness): Promise<void>;
}

const events = (...types: string[]): EventObject[] => types.map((type) => ({ type }));

const runtimeSpec: LifecycleSpec = {
  name: 'runtime',
  model: runtimeModel,
  events: events('LOAD', 'START', 'STOP'),
  trace: {
    'idle:LOAD': ['loading', 'loaded'],
    // The supervisor's steps show: functions load, then one entry at a time.
    'loaded:START': ['starting.prepare', 'starting.entry', 'running'],
    // A stop walks every entry, started or not (those never started settle at once).
    'loaded:STOP': ['stopping.entry', 'stopped'],
    'running:STOP': ['stopping.entry', 'stopped'],
    'stopped:START': ['starting.prepare', 'starting.entry', 'running'],
  },
  id: () => 'actorq',
  prepare: async () => {},
  async exec(h, event) {
    if (event === 'LOAD') await h.runtime.load();
    if (event === 'START') await h.runtime.start();
    if (event === 'STOP') await h.runtime.stop();
  },
};

const entrySpec = (name: 'queue' | 'driver'): LifecycleSpec => ({
  name,
  model: name === 'queue' ? queueModel : driverModel,
  events: events('START', 'STOP'),
  // A driver's `running` has substates; every driver here is connected once started.
  trace: ((up: string, running: string) => ({
    'idle:START': ['starting', up],
    [`${running}:STOP`]: ['draining', 'stopped'],
    'stopped:START': ['starting', up],
    'idle:STOP': ['stopped'],
  }))(name === 'driver' ? 'running.connected' : 'running', name === 'driver' ? 'connected' : 'running'),
  id: (h) => (name === 'queue' ? h.ids.queue : h.ids.driver),
  prepare: (h) => h.runtime.load(),
  async exec(h, event) {
    const id = this.id(h);
    if (event === 'START') await h.runtime.startEntry(id);
    else await h.runtime.stopEntry(id);
  },
});

const SPECS = [runtimeSpec, entrySpec('queue'), entrySpec('driver')];

describe.each(RUNTIME_TARGETS.map((t) => [t.name, t] as const))('model: runtime, queue and driver machines on %s', (_name, target) => {
  beforeAll(() => target.prepare?.());
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  for (const spec of SPECS) {
    const { paths } = transitionPaths(spec.model, spec.events);
    it(`${spec.name}: every model transition has a path`, () => {
      expect(paths.map((p) => p.description.replace(/"/g, '').replace(/ --(\S+)--> \S+/, ':$1')).sort()).toEqual(Object.keys(spec.trace).sort());
    });
    it.each(paths.map((p) => [p.description, p] as const))(`${spec.name}: %s`, async (_d, path) => {
      const harness = (h = makeHarness(target, new GatedHandler().handler));
      await spec.prepare(harness);
      const actor = () => (spec.id(harness) === 'actorq' ? harness.runtime.root : harness.runtime.system.get(spec.id(harness))!);
      const exec = async (event: EventObject, from: string) => {
        harness.mark();
        await spec.exec(harness, event.type);
        await until(() => expect(harness.trace(spec.id(harness))).toEqual(spec.trace[`${from}:${event.type}`]));
      };
      const check = async (_state: string, step: { state: Parameters<typeof stateMeta>[0] }) => {
        await until(() => expect(stateString(actor().getSnapshot().value)).toBe(stateMeta(step.state).machine));
      };
      await runPath(path, { exec, check });
    });
  }
});
