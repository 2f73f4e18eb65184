import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine, fromPromise, getInitialSnapshot, getNextSnapshot, sendTo, setup, type AnyActorRef, type EventObject } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { fromActorq } from '../../src/embed/from-actorq.ts';
import { actorqDrained } from '../../src/embed/system-drains.ts';
import type { ActorqOutputEvent } from '../../src/embed/actorq-events.ts';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { faultDrivers, kindsWithFaults } from '../../src/testing/fault-kinds.ts';
import { deletePrefix, REDIS_URL } from '../drivers/redis/redis-test-env.ts';
import { until } from '../support/runtime-kit.ts';
import { embedYaml, uniqueNamespace, type EmbedSpec } from './embed-kit.ts';

/**
 * Model-based: the app's side of embedding. The abstract model is what an
 * app does with actorq invoked in one of its states: start, publish (a
 * message handled at once, or one whose handler is held), the consumer
 * failing (the app goes `degraded` and back by itself), and leaving the
 * state (and entering it again). Every transition's path runs against the
 * real runtime on memory and on Redis. After each `LEAVE`: once the
 * background stop is over, no handler runs, no actor of the runtime is
 * left in the app's system, nothing more reached the app, and
 * `handled + still queued = published` (a held message was released back,
 * and is handled after the next `ENTER`).
 */
const model = createMachine({
  id: 'app-with-actorq',
  initial: 'off',
  states: {
    off: { on: { START: 'serving' } },
    serving: { on: { PUBLISH: 'serving', HOLD: 'busy', FAIL: 'degraded', LEAVE: 'left' } },
    // A handler is running (held by the test).
    busy: { on: { FINISH: 'serving', LEAVE: 'left' } },
    // The consumer failed; the app waits for it to run again.
    degraded: { on: { RECOVER: 'serving', LEAVE: 'left' } },
    left: { on: { ENTER: 'serving' } },
  },
});
const EVENTS = ['START', 'PUBLISH', 'HOLD', 'FINISH', 'FAIL', 'RECOVER', 'LEAVE', 'ENTER'].map((type) => ({ type }));

interface Step {
  readonly event: EventObject;
  readonly state: string;
}

/** One path per transition: the shortest way to its source state, then the transition. */
function transitionPaths(): { description: string; steps: Step[] }[] {
  const key = (s: unknown) => JSON.stringify((s as { value: unknown }).value);
  // States by value only, so the graph has one node per model state.
  const testModel = createTestModel(model, { events: EVENTS as never, serializeState: key as never });
  const steps = (path: { steps: readonly { event: EventObject; state: unknown }[] }): Step[] =>
    path.steps.flatMap((s) => (s.event.type === 'xstate.init' ? [] : [{ event: s.event, state: String((s.state as { value: unknown }).value) }]));
  const shortest = new Map<string, Step[]>();
  // Every state's own shortest path, even where it is the start of a longer one.
  for (const path of testModel.getShortestPaths({ allowDuplicatePaths: true } as never)) shortest.set(key(path.state), steps(path as never));
  const paths: { description: string; steps: Step[] }[] = [];
  for (const { state, transitions } of Object.values(testModel.getAdjacencyMap())) {
    const prefix = shortest.get(key(state)) ?? [];
    for (const { event, state: next } of Object.values(transitions) as { event: EventObject; state: unknown }[]) {
      // The map lists every event in every state; only those the model accepts are transitions.
      if (!(state as unknown as { can(e: EventObject): boolean }).can(event)) continue;
      paths.push({ description: `${key(state)} --${event.type}--> ${key(next)}`, steps: [...prefix, { event, state: String((next as { value: unknown }).value) }] });
    }
  }
  return paths;
}
/** A longer path, checked against the model event by event (a scenario cannot disagree with it). */
function scenario(description: string, events: readonly string[]): { description: string; steps: Step[] } {
  let snapshot = getInitialSnapshot(model);
  const steps: Step[] = [];
  for (const type of events) {
    if (!snapshot.can({ type })) throw new Error(`scenario "${description}": ${String(snapshot.value)} does not accept ${type}`);
    snapshot = getNextSnapshot(model, snapshot, { type });
    steps.push({ event: { type }, state: String(snapshot.value) });
  }
  return { description: `scenario: ${description}`, steps };
}

const PATHS = [
  ...transitionPaths(),
  scenario('a message released on leaving is handled after entering again', ['START', 'PUBLISH', 'HOLD', 'LEAVE', 'ENTER', 'PUBLISH', 'LEAVE']),
  scenario('failing again after entering again', ['START', 'FAIL', 'LEAVE', 'ENTER', 'FAIL', 'RECOVER', 'HOLD', 'FINISH', 'LEAVE', 'ENTER']),
];

/** A backend the paths run on. */
interface Target {
  readonly name: string;
  /** Whether messages outlive the runtime (memory's die with its driver). */
  readonly persistent: boolean;
  driverFields(ns: string): string;
  /** Makes the consumer's subscription fail the way the backend would. */
  fail(app: AnyActorRef, ns: string): void;
  /** Messages in the queue now (read after the runtime stopped). */
  queued(ns: string): Promise<number>;
  cleanup(ns: string): Promise<void>;
}

const SPEC: EmbedSpec = { stopTimeout: 150, restartDelay: 150 };

const ALL_TARGETS: Target[] = [
  {
    name: 'memory',
    persistent: false,
    driverFields: () => 'kind: queue.driver.faulty',
    fail: (_app, ns) => faultDrivers.get(`${ns}:d`)!.breakSubscriptions(new Error('backend dropped the consumer')),
    queued: async (ns) => (await faultDrivers.get(`${ns}:d`)!.inner.info(`${ns}_q`)).message_count,
    cleanup: async () => {},
  },
  {
    name: 'redis',
    persistent: true,
    driverFields: (ns) => `kind: queue.driver.redis\n    url: ${REDIS_URL}\n    key_prefix: "actorq-test:embed:${ns}:"\n    reconnect_delay: 50ms`,
    // The event the runtime sends a consumer whose subscription ended; from there the real restart runs against Redis.
    fail: (app, ns) => app.system.get(`${ns}:c`)!.send({ type: 'consumer.fail', error: new Error('subscription broke') }),
    queued: async (ns) => {
      // A second runtime on the same keys, with only the driver and the queue started.
      const checker = createRuntime({
        registry: parseConfigText(embedYaml(ns, { ...SPEC, driverFields: ALL_TARGETS[1]!.driverFields(ns) }).replace('auto_start: true\n      stop_timeout: 150ms', 'auto_start: false\n      stop_timeout: 150ms'), '<checker>', { extraFunctionIds: [`${ns}:h`] }),
        functions: { [`${ns}:h`]: async () => {} },
        logger: silentLogger,
      });
      try {
        await checker.startEntry(`${ns}:q`);
        return (await checker.info(`${ns}:q`)).message_count;
      } finally {
        await checker.stop();
      }
    },
    cleanup: (ns) => deletePrefix(`actorq-test:embed:${ns}:`),
  },
];
const TARGETS = ALL_TARGETS.filter((t) => (process.env['ACTORQ_TEST_DRIVERS'] ?? 'memory,redis').split(',').includes(t.name));

/** The app: actorq invoked while `active`; `degraded` while its consumer is down; orders published from an action. */
function shopMachine(ns: string, logic: ReturnType<typeof fromActorq>) {
  const consumer = `${ns}:c`;
  return setup({
    types: { events: {} as ActorqOutputEvent | { type: 'order'; body: unknown } | { type: 'leave' } | { type: 'enter' } },
    actors: { actorq: logic },
  }).createMachine({
    id: 'shop',
    initial: 'active',
    states: {
      active: {
        invoke: { id: 'queues', src: 'actorq' },
        initial: 'serving',
        states: {
          serving: {
            on: { 'actorq.failed': { guard: ({ event }) => event.id === consumer, target: 'degraded' } },
          },
          degraded: {
            on: { 'actorq.entry.changed': { guard: ({ event }) => event.id === consumer && event.to === 'running', target: 'serving' } },
          },
        },
        on: {
          order: { actions: sendTo('queues', ({ event }) => ({ type: 'actorq.publish' as const, queue: `${ns}:q`, body: event.body })) },
          leave: 'idle',
        },
      },
      idle: { on: { enter: 'active' } },
    },
  });
}

/**
 * The handler: one promise actor per message. A body with `hold` waits
 * for the test the first time it is seen (not when it comes back after a
 * release); `running` counts handlers under way, whatever ended them.
 */
function heldHandler() {
  const s = { running: 0, done: 0, held: new Set<number>(), gates: [] as (() => void)[] };
  const logic = fromPromise<void, { n: number; hold?: boolean }>(
    ({ input, signal }) =>
      new Promise<void>((resolve) => {
        s.running++;
        let over = false;
        const end = (ok: boolean) => {
          if (over) return;
          over = true;
          s.running--;
          if (ok) {
            s.done++;
            resolve();
          }
        };
        // Stopped (its message released at stop_timeout): it ends without a result.
        signal.addEventListener('abort', () => end(false));
        if (input.hold && !s.held.has(input.n)) {
          s.held.add(input.n);
          s.gates.push(() => end(true));
        } else end(true);
      }),
  );
  return { s, logic };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe.each(TARGETS.map((t) => [t.name, t] as const))('model: an app embedding actorq, on %s', (_name, target) => {
  it('covers every transition of the app model', () => {
    expect(transitionPaths()).toHaveLength(10);
  });

  it.each(PATHS.map((p) => [p.description, p] as const))('%s', async (_d, path) => {
    const ns = uniqueNamespace('mb');
    const h = heldHandler();
    const received: ActorqOutputEvent[] = [];
    const logic = fromActorq({
      registry: parseConfigText(embedYaml(ns, { ...SPEC, driverFields: target.driverFields(ns) }), '<model>', { kinds: kindsWithFaults, extraFunctionIds: [`${ns}:h`] }),
      kinds: kindsWithFaults,
      functions: { [`${ns}:h`]: h.logic },
      logger: silentLogger,
      metricsInterval: 0,
    });
    // Everything actorq told the app, in order, whether or not a transition took it.
    const app = createActor(shopMachine(ns, logic), {
      inspect: (e) => {
        if (e.type === '@xstate.event' && e.actorRef === app && e.event.type.startsWith('actorq.')) received.push(e.event as ActorqOutputEvent);
      },
    });
    cleanups.push(async () => {
      for (const g of h.s.gates.splice(0)) g();
      app.stop();
      await actorqDrained(app.system);
      await target.cleanup(ns);
    });
    // Published and handled since the backend's queue was last empty (memory: since this runtime's driver was made).
    let published = 0;
    let n = 0;
    const doneBase = { value: 0 };
    const handled = () => h.s.done - doneBase.value;
    const startedCount = () => received.filter((e) => e.type === 'actorq.started').length;

    const exec = async (event: EventObject): Promise<void> => {
      switch (event.type) {
        case 'START':
          app.start();
          await until(() => startedCount() === 1, 'actorq.started');
          break;
        case 'PUBLISH': {
          const before = handled();
          published++;
          app.send({ type: 'order', body: { n: n++ } });
          await until(() => handled() === before + 1, 'the order handled');
          break;
        }
        case 'HOLD':
          published++;
          app.send({ type: 'order', body: { n: n++, hold: true } });
          await until(() => h.s.running === 1, 'a held handler running');
          break;
        case 'FINISH': {
          const before = handled();
          for (const g of h.s.gates.splice(0)) g();
          await until(() => handled() === before + 1 && h.s.running === 0, 'the held handler done');
          break;
        }
        case 'FAIL':
          target.fail(app, ns);
          await until(() => app.getSnapshot().matches({ active: 'degraded' }), 'the app degraded');
          expect(received.filter((e) => e.type === 'actorq.failed').at(-1)).toMatchObject({ id: `${ns}:c`, kind: 'consumer', retrying: true });
          break;
        case 'RECOVER':
          await until(() => app.getSnapshot().matches({ active: 'serving' }), 'the app serving again', 5000);
          break;
        case 'LEAVE': {
          app.send({ type: 'leave' });
          const heard = received.length;
          await actorqDrained(app.system);
          // Nothing runs and nothing of the runtime is left in the app's system.
          expect(h.s.running).toBe(0);
          expect(Object.keys(app.system.getAll())).toEqual([]);
          expect(received.length).toBe(heard);
          // Nothing lost: what was not handled is in the queue.
          expect(handled() + (await target.queued(ns))).toBe(published);
          break;
        }
        case 'ENTER': {
          const starts = startedCount();
          if (!target.persistent) {
            // A new memory driver: the old one's messages stay with it (counted at LEAVE).
            published = 0;
            doneBase.value = h.s.done;
          }
          app.send({ type: 'enter' });
          await until(() => startedCount() === starts + 1, 'actorq.started again');
          // What the stop released comes back and is handled now.
          await until(() => handled() === published, 'released messages handled');
          break;
        }
      }
    };

    const check = (state: string): void => {
      const expected = { off: undefined, serving: { active: 'serving' }, busy: { active: 'serving' }, degraded: { active: 'degraded' }, left: 'idle' }[state];
      if (expected !== undefined) expect(app.getSnapshot().matches(expected as never)).toBe(true);
      if (state === 'busy') expect(h.s.running).toBe(1);
    };

    for (const { event, state } of path.steps) {
      try {
        await exec(event);
        check(state);
      } catch (error) {
        throw new Error(`step ${event.type} -> ${state} (${path.description}): ${(error as Error).message}`, { cause: error });
      }
    }
    if (!app.getSnapshot().matches('idle')) await exec({ type: 'LEAVE' });
    expect(app.getSnapshot().status).toBe('active');
  }, 30_000);
});
