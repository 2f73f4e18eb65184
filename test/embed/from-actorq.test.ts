import { afterEach, describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, setup, type AnyActorRef, type EventObject } from 'xstate';
import { actorqDrained } from '../../src/embed/system-drains.ts';
import type { ActorqOutputEvent, ActorqSnapshot } from '../../src/embed/actorq-events.ts';
import type { Handler } from '../../src/functions/handler.ts';
import { faultDrivers } from '../../src/testing/fault-kinds.ts';
import { gate, until } from '../support/runtime-kit.ts';
import { actorqOptions, fromActorq, recorderApp, uniqueNamespace, type RecorderApp } from './embed-kit.ts';

const apps: RecorderApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) {
    a.app.stop();
    await actorqDrained(a.app.system);
  }
});

function start(ns: string, handler: Handler | Parameters<typeof actorqOptions>[1], spec: Parameters<typeof actorqOptions>[2] = {}, extra: Parameters<typeof actorqOptions>[3] = {}): RecorderApp {
  const app = recorderApp(fromActorq(actorqOptions(ns, handler, spec, extra)));
  apps.push(app);
  return app;
}

const types = (events: readonly ActorqOutputEvent[]) => events.map((e) => e.type);
const changes = (events: readonly ActorqOutputEvent[], id: string) =>
  events.flatMap((e) => (e.type === 'actorq.entry.changed' && e.id === id ? [`${e.from}->${e.to}`] : []));
const started = (a: RecorderApp) => until(() => a.received.some((e) => e.type === 'actorq.started'), 'actorq.started');

describe('fromActorq: the runtime as an invoked actor', () => {
  it('tells its parent every lifecycle change, in order, then actorq.started; the snapshot follows', async () => {
    const ns = uniqueNamespace('ev');
    const a = start(ns, async () => {});
    await started(a);
    const entryEvents = a.received.filter((e) => e.type === 'actorq.entry.changed').map((e) => (e as { id: string }).id);
    // Start order: driver, then queues, then the consumer, each fully before the next.
    expect(changes(a.received, `${ns}:d`)).toEqual(['idle->starting', 'starting->running.connected']);
    expect(changes(a.received, `${ns}:q`)).toEqual(['idle->starting', 'starting->running']);
    expect(changes(a.received, `${ns}:c`)).toEqual(['idle->starting', 'starting->running']);
    expect(entryEvents.indexOf(`${ns}:c`)).toBeGreaterThan(entryEvents.lastIndexOf(`${ns}:q`));
    expect(entryEvents.indexOf(`${ns}:q`)).toBeGreaterThan(entryEvents.lastIndexOf(`${ns}:d`));
    expect(types(a.received).at(-1)).toBe('actorq.started');

    const snapshot = a.queues().getSnapshot() as ActorqSnapshot;
    expect(snapshot.context.runtime).toBe('running');
    expect(snapshot.context.entries[`${ns}:c`]).toEqual({ kind: 'consumer', state: 'running' });
    expect(snapshot.context.entries[`${ns}:d`]).toEqual({ kind: 'driver', state: 'running.connected' });

    a.received.length = 0;
    a.toActorq({ type: 'actorq.stopEntry', id: `${ns}:c`, requestId: 'r1' });
    await until(() => a.received.some((e) => e.type === 'actorq.stopEntry.done'), 'stopEntry answered');
    expect(a.received).toEqual([
      { type: 'actorq.entry.changed', id: `${ns}:c`, kind: 'consumer', from: 'running', to: 'draining' },
      { type: 'actorq.entry.changed', id: `${ns}:c`, kind: 'consumer', from: 'draining', to: 'stopped' },
      { type: 'actorq.stopEntry.done', id: `${ns}:c`, requestId: 'r1' },
    ]);
    expect((a.queues().getSnapshot() as ActorqSnapshot).context.entries[`${ns}:c`]!.state).toBe('stopped');
  });

  it('carries the figures metrics() reports in its snapshot', async () => {
    const ns = uniqueNamespace('mx');
    const a = start(ns, async () => {}, {}, { metricsInterval: 20 });
    await started(a);
    for (let i = 0; i < 3; i++) a.toActorq({ type: 'actorq.publish', queue: `${ns}:q`, body: { i } });
    await until(() => (a.queues().getSnapshot() as ActorqSnapshot).context.metrics?.consumers[0]?.acked === 3, 'three acks in the snapshot');
    const metrics = (a.queues().getSnapshot() as ActorqSnapshot).context.metrics!;
    expect(metrics.runtime).toBe('running');
    expect(metrics.queues.find((q) => q.id === `${ns}:q`)).toMatchObject({ published: 3, acked: 3, ready: 0 });
    expect(metrics.entries.map((e) => e.id).sort()).toEqual([`${ns}:c`, `${ns}:d`, `${ns}:dlq`, `${ns}:q`].sort());
  });

  it('answers a publish to an unknown queue with an event; the app keeps running and publishes on', async () => {
    const ns = uniqueNamespace('pub');
    const handled: unknown[] = [];
    const a = start(ns, async (body) => void handled.push(body));
    await started(a);
    a.toActorq({ type: 'actorq.publish', queue: `${ns}:missing`, body: { n: 1 }, requestId: 'p1' });
    a.toActorq({ type: 'actorq.publish', queue: `${ns}:q`, body: undefined });
    await until(() => a.received.filter((e) => e.type === 'actorq.publish.failed').length === 2, 'two failures');
    expect(a.received.filter((e) => e.type === 'actorq.publish.failed')).toEqual([
      { type: 'actorq.publish.failed', queue: `${ns}:missing`, requestId: 'p1', error: expect.stringContaining(`${ns}:missing`), code: 'NOT_FOUND' },
      { type: 'actorq.publish.failed', queue: `${ns}:q`, error: expect.any(String), code: 'INVALID_MESSAGE' },
    ]);
    expect(a.app.getSnapshot().status).toBe('active');
    expect(a.queues().getSnapshot().status).toBe('active');
    a.toActorq({ type: 'actorq.publish', queue: `${ns}:q`, body: { n: 2 }, headers: { tenant: 'x' } });
    await until(() => handled.length === 1, 'the next publish handled');
    expect(handled).toEqual([{ n: 2 }]);
    // A publish without requestId or replyTo that succeeds is not answered.
    expect(types(a.received)).not.toContain('actorq.publish.done');
  });

  it('answers a request to its replyTo actor, not the parent', async () => {
    const ns = uniqueNamespace('rep');
    const a = start(ns, async () => {});
    await started(a);
    const answers: EventObject[] = [];
    const inbox = createActor(fromCallback(({ receive }) => receive((e) => void answers.push(e)))).start();
    a.toActorq({ type: 'actorq.publish', queue: `${ns}:q`, body: { n: 1 }, replyTo: inbox });
    a.toActorq({ type: 'actorq.startEntry', id: `${ns}:nope`, replyTo: inbox, requestId: 's1' });
    await until(() => answers.length === 2, 'two answers');
    expect(answers).toEqual([
      { type: 'actorq.publish.done', queue: `${ns}:q` },
      { type: 'actorq.startEntry.failed', id: `${ns}:nope`, requestId: 's1', error: expect.stringContaining(`${ns}:nope`), code: 'NOT_FOUND' },
    ]);
    expect(types(a.received).filter((t) => t.startsWith('actorq.publish') || t.startsWith('actorq.startEntry'))).toEqual([]);
    inbox.stop();
  });

  it('lets the app react to a consumer failure with its own transitions', async () => {
    const ns = uniqueNamespace('fail');
    const logic = fromActorq(actorqOptions(ns, async () => {}));
    const app = createActor(
      setup({ types: { events: {} as ActorqOutputEvent }, actors: { actorq: logic } }).createMachine({
        initial: 'serving',
        invoke: { id: 'queues', src: 'actorq' },
        states: {
          serving: { on: { 'actorq.failed': { guard: ({ event }) => event.id === `${ns}:c`, target: 'degraded' } } },
          degraded: { on: { 'actorq.entry.changed': { guard: ({ event }) => event.id === `${ns}:c` && event.to === 'running', target: 'serving' } } },
        },
      }),
    ).start();
    apps.push({ app } as unknown as RecorderApp);
    const seen: string[] = [];
    app.subscribe((s) => void (seen.at(-1) !== s.value && seen.push(s.value as string)));
    await until(() => (app.getSnapshot().children['queues']!.getSnapshot() as ActorqSnapshot).context.entries[`${ns}:c`]?.state === 'running', 'consumer running');
    faultDrivers.get(`${ns}:d`)!.breakSubscriptions(new Error('backend dropped the consumer'));
    await until(() => seen.includes('degraded') && app.getSnapshot().value === 'serving', 'degraded, then serving again');
    expect(seen).toEqual(['serving', 'degraded', 'serving']);
  });

  it('reports a configuration that cannot load as actorq.failed; the app keeps running', async () => {
    const a = recorderApp(fromActorq({ files: ['/nonexistent/actorq-embed-test'], metricsInterval: 0 }));
    apps.push(a);
    await until(() => a.received.some((e) => e.type === 'actorq.failed'), 'actorq.failed');
    expect(a.received.find((e) => e.type === 'actorq.failed')).toMatchObject({ id: 'actorq', kind: 'runtime', retrying: false, error: expect.any(String) });
    expect(a.app.getSnapshot().status).toBe('active');
    expect((a.queues().getSnapshot() as ActorqSnapshot).context.error).toEqual(expect.any(String));
  });

  it("puts the runtime's actors under it in the app's system: one tree", async () => {
    const ns = uniqueNamespace('tree');
    const a = start(ns, async () => {});
    await started(a);
    const consumer = a.app.system.get(`${ns}:c`) as AnyActorRef & { _parent?: AnyActorRef };
    expect(consumer).toBeDefined();
    const chain: string[] = [];
    for (let p: (AnyActorRef & { _parent?: AnyActorRef }) | undefined = consumer; p; p = p._parent) chain.push(p.id);
    expect(chain).toEqual([`${ns}:c`, 'actorq', 'queues', a.app.id]);
    // The app's inspector saw the runtime's actors being made.
    const made = a.inspected.flatMap((e) => (e.type === '@xstate.actor' ? [(e.actorRef as AnyActorRef).id] : []));
    expect(made).toEqual(expect.arrayContaining(['queues', 'actorq', `${ns}:d`, `${ns}:q`, `${ns}:c`, 'worker-0']));
    // Leaving the state: once the background stop is over, none of them is left in the system.
    a.app.send({ type: 'leave' });
    await actorqDrained(a.app.system);
    expect(Object.keys(a.app.system.getAll())).toEqual([]);
  });

  it('leaving the state releases a handler past stop_timeout back to the queue; nothing reaches the parent after', async () => {
    const ns = uniqueNamespace('rel');
    const hold = gate();
    let calls = 0;
    const a = start(ns, () => (calls++, hold.promise), { stopTimeout: 150 });
    await started(a);
    a.toActorq({ type: 'actorq.publish', queue: `${ns}:q`, body: { n: 1 } });
    await until(() => calls === 1, 'handler running');
    a.received.length = 0;
    a.app.send({ type: 'leave' });
    expect(a.app.getSnapshot().value).toBe('off');
    const reports = await actorqDrained(a.app.system);
    expect(reports).toEqual([{ timedOut: [`${ns}:c`], released: { [`${ns}:c`]: 1 } }]);
    // The message is back in its queue, untouched.
    expect(await faultDrivers.get(`${ns}:d`)!.inner.info(`${ns}_q`)).toMatchObject({ ready: 1, in_flight: 0 });
    expect(a.received).toEqual([]);
    hold.open();
  });

  it('leaving the state lets a handler that finishes within stop_timeout ack its message', async () => {
    const ns = uniqueNamespace('drn');
    const hold = gate();
    let acked = 0;
    const a = start(ns, async () => {
      await hold.promise;
      acked++;
    });
    await started(a);
    a.toActorq({ type: 'actorq.publish', queue: `${ns}:q`, body: { n: 1 } });
    await until(() => faultDrivers.get(`${ns}:d`)?.inner !== undefined, 'driver');
    await until(async () => (await faultDrivers.get(`${ns}:d`)!.inner.info(`${ns}_q`)).in_flight === 1, 'in flight');
    a.app.send({ type: 'leave' });
    setTimeout(() => hold.open(), 50);
    expect(await actorqDrained(a.app.system)).toEqual([{ timedOut: [], released: {} }]);
    expect(acked).toBe(1);
    expect(await faultDrivers.get(`${ns}:d`)!.inner.info(`${ns}_q`)).toMatchObject({ ready: 0, in_flight: 0 });
  });

  it('actorq.stop drains before actorq.stopped, so the app can make its exit wait', async () => {
    const ns = uniqueNamespace('stp');
    let finished = 0;
    const logic = fromActorq(
      actorqOptions(ns, async () => {
        await new Promise((r) => setTimeout(r, 50));
        finished++;
      }),
    );
    const app = createActor(
      setup({ types: { events: {} as ActorqOutputEvent | { type: 'close' } | { type: 'work' } }, actors: { actorq: logic } }).createMachine({
        initial: 'serving',
        states: {
          serving: {
            invoke: { id: 'queues', src: 'actorq' },
            initial: 'open',
            states: {
              open: {
                on: {
                  work: { actions: ({ self }) => self.getSnapshot().children['queues']!.send({ type: 'actorq.publish', queue: `${ns}:q`, body: { n: 1 } }) },
                  close: 'closing',
                },
              },
              closing: {
                entry: ({ self }) => self.getSnapshot().children['queues']!.send({ type: 'actorq.stop' }),
                on: { 'actorq.stopped': '#done' },
              },
            },
          },
          done: { id: 'done' },
        },
      }),
    ).start();
    apps.push({ app } as unknown as RecorderApp);
    await until(() => (app.getSnapshot().children['queues']?.getSnapshot() as ActorqSnapshot | undefined)?.context.runtime === 'running', 'running');
    app.send({ type: 'work' });
    await until(async () => (await faultDrivers.get(`${ns}:d`)!.inner.info(`${ns}_q`)).in_flight === 1, 'in flight');
    app.send({ type: 'close' });
    expect(app.getSnapshot().matches({ serving: 'closing' })).toBe(true);
    await until(() => app.getSnapshot().value === 'done', 'done');
    // The exit waited for the handler: it had finished when actorq.stopped arrived.
    expect(finished).toBe(1);
    expect(await actorqDrained(app.system)).toEqual([]);
  });

  it('leaving the state abandons a publish still waiting for room in a full queue', async () => {
    const ns = uniqueNamespace('full');
    const a = start(ns, async () => {}, { queueOptions: '{ faulty: { max_length: 1 } }' });
    await started(a);
    a.toActorq({ type: 'actorq.stopEntry', id: `${ns}:c`, requestId: 'stop' });
    await until(() => a.received.some((e) => e.type === 'actorq.stopEntry.done'), 'consumer stopped');
    // What the driver was asked to publish, and how each call ended.
    const driver = faultDrivers.get(`${ns}:d`)!;
    const outcomes: string[] = [];
    const publish = driver.publish.bind(driver);
    driver.publish = (queue, messages, options) => {
      const call = publish(queue, messages, options);
      call.then(
        () => outcomes.push('stored'),
        (e: { code?: string }) => outcomes.push(e.code ?? 'failed'),
      );
      return call;
    };
    a.toActorq({ type: 'actorq.publish', queue: `${ns}:q`, body: { n: 1 } });
    a.toActorq({ type: 'actorq.publish', queue: `${ns}:q`, body: { n: 2 } });
    await until(() => outcomes.length === 1, 'the first stored, the second waiting for room');
    a.app.send({ type: 'leave' });
    // Abandoned when the actor stopped, not failed later by the driver's stop.
    await until(() => outcomes.length === 2, 'the waiting publish ended');
    expect(outcomes).toEqual(['stored', 'ABORTED']);
    await actorqDrained(a.app.system);
    expect((await driver.inner.info(`${ns}_q`)).ready).toBe(1);
  });

  it('actorq.stop, then actorq.start: the runtime stops and starts again while the actor stays', async () => {
    const ns = uniqueNamespace('cyc');
    const handled: unknown[] = [];
    const a = start(ns, async (body) => void handled.push(body));
    await started(a);
    a.received.length = 0;
    a.toActorq({ type: 'actorq.stop' });
    await until(() => a.received.some((e) => e.type === 'actorq.stopped'), 'actorq.stopped');
    expect(a.received.find((e) => e.type === 'actorq.stopped')).toEqual({ type: 'actorq.stopped', timedOut: [], released: {} });
    expect((a.queues().getSnapshot() as ActorqSnapshot).context.runtime).toBe('stopped');
    a.toActorq({ type: 'actorq.start' });
    a.toActorq({ type: 'actorq.publish', queue: `${ns}:q`, body: { n: 1 } });
    await until(() => handled.length === 1, 'handled after the restart');
    expect(types(a.received).filter((t) => t === 'actorq.started' || t === 'actorq.stopped')).toEqual(['actorq.stopped', 'actorq.started']);
  });

  it('a state entered again in the same step starts its runtime once the previous one has stopped', async () => {
    const ns = uniqueNamespace('re');
    const hold = gate();
    let calls = 0;
    const a = start(ns, () => (calls++, hold.promise), { stopTimeout: 100 });
    await started(a);
    a.toActorq({ type: 'actorq.publish', queue: `${ns}:q`, body: { n: 1 } });
    await until(() => calls === 1, 'handler running');
    a.received.length = 0;
    a.app.send({ type: 'reenter' });
    // The new actor waits for the old runtime's drain; then its own start succeeds.
    await until(() => a.received.some((e) => e.type === 'actorq.started' || e.type === 'actorq.failed'), 'started or failed');
    expect(a.received.filter((e) => e.type === 'actorq.failed')).toEqual([]);
    expect(a.app.system.get(`${ns}:c`)).toBeDefined();
    hold.open();
  });

  it('a second actorq in the same system at once is refused with actorq.failed, not a crash', async () => {
    const ns = uniqueNamespace('two');
    const first = start(ns, async () => {});
    await started(first);
    const ns2 = uniqueNamespace('two');
    const second = createActor(fromActorq(actorqOptions(ns2, async () => {})), { parent: first.app as unknown as AnyActorRef });
    const failures: ActorqOutputEvent[] = [];
    second.on('actorq.failed', (e) => void failures.push(e));
    second.start();
    await until(() => failures.length === 1, 'refused');
    expect(failures[0]).toMatchObject({ id: 'actorq', kind: 'runtime', error: expect.stringContaining("'actorq' already exists") });
    expect(first.app.getSnapshot().status).toBe('active');
  });

  it('reaches a plain promise actor through fromPromise handlers as well (body is input)', async () => {
    const ns = uniqueNamespace('fp');
    const got: unknown[] = [];
    const a = start(ns, fromPromise<void, unknown>(async ({ input }) => void got.push(input)));
    await started(a);
    a.toActorq({ type: 'actorq.publish', queue: `${ns}:q`, body: { hello: 'world' } });
    await until(() => got.length === 1, 'handled');
    expect(got).toEqual([{ hello: 'world' }]);
  });
});
