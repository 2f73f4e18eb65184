import { afterAll, describe, expect, it } from 'vitest';
import { createActor, fromPromise, setup, type AnyStateNode, type InspectionEvent } from 'xstate';
import { runtimeMachine, type RuntimeChild, type RuntimeEmitted, type RuntimeEvent } from '../../machines/runtime.machine.ts';
import { awaitEntry } from '../../src/runtime/await-entry.ts';

/**
 * The runtime machine as a supervisor, on stand-in children: small machines
 * that start and stop when told, slowly, never, or by failing, as each test
 * says. Every test records the runtime transitions it takes, and the last
 * check asserts that together they take every transition the runtime
 * machine defines.
 */

type Behaviour = 'ok' | 'fail' | 'hang' | 'slow';
const behaviours = new Map<string, { start: Behaviour; stop: Behaviour }>();

/** A child that starts and stops as {@link behaviours} says for its id. */
const standIn = (kind: 'driver' | 'queue' | 'consumer') =>
  setup({
    types: { input: {} as { id: string }, context: {} as { id: string; error: string | undefined; stopTimedOut: boolean } },
    guards: {
      startIs: ({ context }, b: Behaviour) => (behaviours.get(context.id)?.start ?? 'ok') === b,
      stopIs: ({ context }, b: Behaviour) => (behaviours.get(context.id)?.stop ?? 'ok') === b,
    },
  }).createMachine({
    id: kind,
    initial: 'idle',
    context: ({ input }) => ({ id: input.id, error: undefined, stopTimedOut: false }),
    states: {
      idle: { on: { [`${kind}.start`]: 'starting', [`${kind}.stop`]: 'stopped' } },
      starting: {
        always: [
          { guard: { type: 'startIs', params: 'ok' }, target: 'running' },
          { guard: { type: 'startIs', params: 'fail' }, target: 'failed' },
        ],
        after: { 30: [{ guard: { type: 'startIs', params: 'slow' }, target: 'running' }] },
        on: { [`${kind}.stop`]: 'stopped' },
      },
      running: { on: { [`${kind}.stop`]: 'draining' } },
      draining: {
        always: [{ guard: { type: 'stopIs', params: 'ok' }, target: 'stopped' }],
        after: { 30: [{ guard: { type: 'stopIs', params: 'slow' }, target: 'stopped' }] },
      },
      failed: { entry: ({ context }) => void (context.error = 'stand-in failed'), on: { [`${kind}.start`]: 'starting', [`${kind}.stop`]: 'stopped' } },
      stopped: { on: { [`${kind}.start`]: 'starting' } },
    },
  });

const nodesOf = (node: AnyStateNode): AnyStateNode[] => [node, ...Object.values(node.states).flatMap(nodesOf)];
const keyOf = (source: AnyStateNode, eventType: string, index: number) => `${source.path.join('.')} --${eventType}[${index}]`;
const taken = new Set<string>();

let counter = 0;
function child(kind: RuntimeChild['kind'], id: string, dependsOn: string[] = [], bound = 200): RuntimeChild {
  const input = kind === 'queue' ? { id, driver: 'd', start_timeout: 100, stop_timeout: 100 } : { id, start_timeout: 100, stop_timeout: 100, restart: { initial_delay: 1, max_delay: 1, backoff_factor: 1, jitter: 0, max_attempts: 1 }, ...(kind === 'consumer' ? { concurrency: 1 } : {}) };
  return { kind, id, dependsOn, autoStart: true, startBound: bound, stopBound: bound, input } as RuntimeChild;
}

/** A runtime actor over stand-ins, with request/answer helpers. */
function supervisor(options: { children?: RuntimeChild[]; load?: () => Promise<void>; prepare?: () => Promise<void>; awaitEntry?: 'real' | 'broken' } = {}) {
  const n = counter++;
  const children = options.children ?? [child('driver', `d${n}`), child('queue', `q${n}`, [`d${n}`]), child('consumer', `c${n}`, [`d${n}`, `q${n}`])];
  const logic = runtimeMachine.provide({
    actors: {
      driver: standIn('driver') as never,
      queue: standIn('queue') as never,
      consumer: standIn('consumer') as never,
      loadRegistry: fromPromise<RuntimeChild[], void>(async () => {
        await options.load?.();
        return children;
      }),
      prepareStart: fromPromise<void, void>(async () => options.prepare?.()),
      awaitEntry: options.awaitEntry === 'broken' ? fromPromise(async () => Promise.reject(new Error('wait broke'))) : awaitEntry,
    },
    actions: { childrenSpawned: () => {} },
  });
  const actor = createActor(logic);
  actor.system.inspect({
    next: (e: InspectionEvent) => {
      if (e.type !== '@xstate.microstep' || e.actorRef !== actor) return;
      for (const t of e._transitions) taken.add(keyOf(t.source, t.eventType, (t.source.transitions.get(t.eventType) ?? []).indexOf(t)));
    },
  });
  actor.start();
  let next = 0;
  const answers = new Map<string, RuntimeEmitted>();
  actor.on('runtime.settled', (e) => answers.set(e.requestId, e));
  const request = (event: RuntimeEvent): (() => RuntimeEmitted | undefined) => {
    const requestId = `r${next++}`;
    actor.send({ ...event, requestId } as RuntimeEvent);
    return () => answers.get(requestId);
  };
  const answer = async (get: () => RuntimeEmitted | undefined): Promise<RuntimeEmitted> => {
    for (let i = 0; i < 400 && !get(); i++) await new Promise((r) => setTimeout(r, 5));
    return get() ?? Promise.reject(new Error('no answer'));
  };
  return { actor, children, request, answer, state: () => JSON.stringify(actor.getSnapshot().value) };
}

describe('runtime machine as supervisor (stand-in children)', () => {
  afterAll(() => {
    const defined = nodesOf(runtimeMachine.root).flatMap((node) => [...node.transitions].flatMap(([eventType, list]) => list.map((_t, i) => keyOf(node, eventType, i))));
    // Every transition the runtime machine defines is taken by one of the tests above.
    expect(defined.filter((k) => !taken.has(k))).toEqual([]);
  });

  it('answers requests in idle: start is refused, stop has nothing to do', async () => {
    const s = supervisor();
    expect(await s.answer(s.request({ type: 'runtime.start' }))).toMatchObject({ ok: false, error: expect.stringMatching(/cannot start/) });
    expect(await s.answer(s.request({ type: 'runtime.stop' }))).toMatchObject({ ok: true });
  });

  it('starts dependencies first and stops dependents first', async () => {
    const s = supervisor();
    const order: string[] = [];
    s.actor.system.inspect({ next: (e) => void (e.type === '@xstate.event' && /^(driver|queue|consumer)\.(start|stop)$/.test(e.event.type) && order.push(`${e.event.type}:${(e.actorRef as { id?: string }).id}`)) });
    await s.answer(s.request({ type: 'runtime.load' }));
    expect(await s.answer(s.request({ type: 'runtime.start' }))).toMatchObject({ ok: true });
    expect(await s.answer(s.request({ type: 'runtime.stop' }))).toMatchObject({ ok: true, timedOut: [] });
    const [d, q, c] = s.children.map((x) => x.id);
    expect(order).toEqual([`driver.start:${d}`, `queue.start:${q}`, `consumer.start:${c}`, `consumer.stop:${c}`, `queue.stop:${q}`, `driver.stop:${d}`]);
  });

  it('requests during loading wait for it: load and stop are answered, start is refused', async () => {
    let finish!: () => void;
    const s = supervisor({ load: () => new Promise<void>((r) => (finish = r)) });
    const load = s.request({ type: 'runtime.load' });
    const again = s.request({ type: 'runtime.load' });
    const start = s.request({ type: 'runtime.start' });
    const stop = s.request({ type: 'runtime.stop' });
    expect(await s.answer(start)).toMatchObject({ ok: false });
    finish();
    expect(await s.answer(load)).toMatchObject({ ok: true });
    expect(await s.answer(again)).toMatchObject({ ok: true });
    expect(await s.answer(stop)).toMatchObject({ ok: true });
    expect(s.state()).toBe('"stopped"');
  });

  it('a load that fails ends in loadFailed, answers everyone, and can be tried again', async () => {
    let fail = true;
    const s = supervisor({ load: async () => { if (fail) throw new Error('bad config'); } });
    expect(await s.answer(s.request({ type: 'runtime.load' }))).toMatchObject({ ok: false, error: 'bad config' });
    expect(s.state()).toBe('"loadFailed"');
    expect(await s.answer(s.request({ type: 'runtime.start' }))).toMatchObject({ ok: false });
    expect(await s.answer(s.request({ type: 'runtime.stop' }))).toMatchObject({ ok: true });
    fail = false;
    expect(await s.answer(s.request({ type: 'runtime.load' }))).toMatchObject({ ok: true });
  });

  it('a failing child blocks its dependents; load/start during a start merge; stop while failed stops all', async () => {
    const s = supervisor();
    const [d, q, c] = s.children.map((x) => x.id);
    behaviours.set(q!, { start: 'fail', stop: 'ok' });
    behaviours.set(d!, { start: 'slow', stop: 'ok' });
    await s.answer(s.request({ type: 'runtime.load' }));
    const start = s.request({ type: 'runtime.start' });
    const merged = s.request({ type: 'runtime.start', ids: [d!] });
    expect(await s.answer(s.request({ type: 'runtime.load' }))).toMatchObject({ ok: true });
    const reply = await s.answer(start);
    expect(reply.ok).toBe(false);
    expect(reply.failures).toEqual({ [q!]: 'failed: stand-in failed', [c!]: `not started: dependency ${q} failed` });
    expect((await s.answer(merged)).ok).toBe(false);
    expect(s.state()).toBe('"failed"');
    expect(await s.answer(s.request({ type: 'runtime.load' }))).toMatchObject({ ok: true });
    expect(await s.answer(s.request({ type: 'runtime.start', ids: [d!] }))).toMatchObject({ ok: true });
    expect(await s.answer(s.request({ type: 'runtime.stop' }))).toMatchObject({ ok: true });
    expect(await s.answer(s.request({ type: 'runtime.start', ids: [d!] }))).toMatchObject({ ok: true });
    expect(s.state()).toBe('"running"');
  });

  it('a child that never settles is given up at its bound, on start and on stop', async () => {
    const n = counter;
    const s = supervisor({ children: [child('driver', `hd${n}`, [], 60)] });
    behaviours.set(`hd${n}`, { start: 'hang', stop: 'hang' });
    await s.answer(s.request({ type: 'runtime.load' }));
    expect(await s.answer(s.request({ type: 'runtime.start' }))).toMatchObject({ ok: false, failures: { [`hd${n}`]: 'failed: did not settle within 60ms' } });
    behaviours.set(`hd${n}`, { start: 'ok', stop: 'hang' });
    expect(await s.answer(s.request({ type: 'runtime.start' }))).toMatchObject({ ok: true });
    expect(await s.answer(s.request({ type: 'runtime.stop' }))).toMatchObject({ ok: false, timedOut: [`hd${n}`] });
  });

  it('while stopping: load is answered, start refused, a further stop merged', async () => {
    const s = supervisor();
    for (const x of s.children) behaviours.set(x.id, { start: 'ok', stop: 'slow' });
    await s.answer(s.request({ type: 'runtime.load' }));
    await s.answer(s.request({ type: 'runtime.start' }));
    const partial = s.request({ type: 'runtime.stop', ids: [s.children[2]!.id] });
    expect(await s.answer(s.request({ type: 'runtime.load' }))).toMatchObject({ ok: true });
    expect(await s.answer(s.request({ type: 'runtime.start' }))).toMatchObject({ ok: false, error: expect.stringMatching(/stopping/) });
    const full = s.request({ type: 'runtime.stop' });
    expect(await s.answer(partial)).toMatchObject({ ok: true });
    expect(await s.answer(full)).toMatchObject({ ok: true });
    expect(s.state()).toBe('"stopped"');
  });

  it('a partial stop leaves the runtime running; a stop during a start cuts it short', async () => {
    const s = supervisor();
    const [d, q, c] = s.children.map((x) => x.id);
    await s.answer(s.request({ type: 'runtime.load' }));
    await s.answer(s.request({ type: 'runtime.start' }));
    expect(await s.answer(s.request({ type: 'runtime.stop', ids: [c!] }))).toMatchObject({ ok: true });
    expect(s.state()).toBe('"running"');
    behaviours.set(c!, { start: 'slow', stop: 'ok' });
    const start = s.request({ type: 'runtime.start' });
    await new Promise((r) => setTimeout(r, 5));
    expect(await s.answer(s.request({ type: 'runtime.stop' }))).toMatchObject({ ok: true });
    expect(await s.answer(start)).toMatchObject({ ok: false, failures: { [c!]: 'stopped while starting' } });
    void d;
    void q;
  });

  it('a failed function load fails the start without touching any child', async () => {
    const s = supervisor({ prepare: async () => Promise.reject(new Error('handler did not load')) });
    await s.answer(s.request({ type: 'runtime.load' }));
    expect(await s.answer(s.request({ type: 'runtime.start' }))).toMatchObject({ ok: false, failures: { '(functions)': 'handler did not load' } });
    for (const c of s.children) expect(s.actor.system.get(c.id)!.getSnapshot().value).toBe('idle');
  });

  it('load is answered in every steady state, and stop from loaded and stopped walks the children', async () => {
    const s = supervisor();
    await s.answer(s.request({ type: 'runtime.load' }));
    expect(await s.answer(s.request({ type: 'runtime.load' }))).toMatchObject({ ok: true }); // loaded
    expect(await s.answer(s.request({ type: 'runtime.stop' }))).toMatchObject({ ok: true }); // loaded -> stopped
    expect(await s.answer(s.request({ type: 'runtime.load' }))).toMatchObject({ ok: true }); // stopped
    expect(await s.answer(s.request({ type: 'runtime.stop' }))).toMatchObject({ ok: true }); // stopped -> stopped
    expect(await s.answer(s.request({ type: 'runtime.start' }))).toMatchObject({ ok: true });
    expect(await s.answer(s.request({ type: 'runtime.load' }))).toMatchObject({ ok: true }); // running
    expect(s.state()).toBe('"running"');
  });

  it('a wait that breaks counts as a failure on start and as done on stop', async () => {
    const s = supervisor({ awaitEntry: 'broken' });
    await s.answer(s.request({ type: 'runtime.load' }));
    const reply = await s.answer(s.request({ type: 'runtime.start' }));
    expect(reply.ok).toBe(false);
    expect(Object.values(reply.failures ?? {})[0]).toMatch(/wait broke/);
    expect(await s.answer(s.request({ type: 'runtime.stop' }))).toMatchObject({ ok: true });
  });
});
