import { afterEach, describe, expect, it } from 'vitest';
import { createMachine, type AnyStateMachine, type EventObject } from 'xstate';
import { RUNTIME_TARGETS, GatedHandler, makeHarness, until, type Harness } from './runtime-targets.ts';
import { runPath, transitionPaths } from './transition-paths.ts';
import { stateString } from '../../src/runtime/runtime-events.ts';

/**
 * Model-based tests of the runtime, queue and driver machines on the real
 * runtime. All three invoke promise actors (and the driver has `after`
 * timers), which `createTestModel` rejects, so each is tested through an
 * abstract model of its states reachable through the public API, with
 * explicit events; every model transition also names the lifecycle states
 * the real actor must pass through (`runtime.events$`), so the transient
 * `loading`/`starting`/`stopping`/`draining` states are checked as well.
 */
interface LifecycleSpec {
  readonly name: string;
  readonly model: AnyStateMachine;
  readonly trace: Record<string, string[]>;
  /** Registry ID whose actor is checked (`actorq` is the root). */
  id(h: Harness): string;
  exec(h: Harness, event: string): Promise<void>;
  /** Prepares the harness before the path (e.g. load). */
  prepare(h: Harness): Promise<void>;
}

const runtimeSpec: LifecycleSpec = {
  name: 'runtime',
  model: createMachine({
    id: 'runtime-model',
    initial: 'idle',
    states: {
      idle: { on: { LOAD: 'loaded' } },
      loaded: { on: { START: 'running', STOP: 'stopped' } },
      running: { on: { STOP: 'stopped' } },
      stopped: { on: { START: 'running' } },
    },
  }),
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

const entryModel = (id: string) =>
  createMachine({
    id,
    initial: 'idle',
    states: {
      idle: { on: { START: 'running' } },
      running: { on: { STOP: 'stopped' } },
      stopped: { on: { START: 'running' } },
    },
  });
const entrySpec = (name: 'queue' | 'driver'): LifecycleSpec => ({
  name,
  model: entryModel(`${name}-model`),
  // A driver's `running` has substates; every driver here is connected once started.
  trace: ((up: string) => ({ 'idle:START': ['starting', up], 'running:STOP': ['draining', 'stopped'], 'stopped:START': ['starting', up] }))(
    name === 'driver' ? 'running.connected' : 'running',
  ),
  id: (h) => (name === 'queue' ? h.ids.queue : h.ids.driver),
  prepare: (h) => h.runtime.load(),
  async exec(h, event) {
    const id = this.id(h);
    if (event === 'START') await h.runtime.startEntry(id);
    else await h.runtime.stopEntry(id);
  },
});

const SPECS = [runtimeSpec, entrySpec('queue'), entrySpec('driver')];
const EVENTS: EventObject[] = ['LOAD', 'START', 'STOP'].map((type) => ({ type }));

describe.each(RUNTIME_TARGETS.map((t) => [t.name, t] as const))('model: runtime, queue and driver machines on %s', (_name, target) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  for (const spec of SPECS) {
    const { paths } = transitionPaths(spec.model, EVENTS);
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
      const check = async (state: string) => {
        const expected = spec.name === 'driver' && state === 'running' ? 'running.connected' : state;
        await until(() => expect(stateString(actor().getSnapshot().value)).toBe(expected));
      };
      await runPath(path, exec, check, 'idle');
    });
  }
});
