import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { startInspector, type LocalInspector } from '../../src/inspect/inspector-server.ts';
import { until } from '../model/runtime-targets.ts';
import { buildTree, byName, probe } from './ws-probe.ts';
import { AMQP_URL, destroyQueue } from '../drivers/amqp/broker-helpers.ts';

// The inspector must show the whole life: a client that connects late
// builds the full tree, and a client connected at stop sees every actor
// end. Real runtime, real bridge, real sockets.

const yaml = (concurrency: number) => `namespace: app
entries:
  - { name: mem, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: app:mem }
  - { name: c, kind: queue.consumer, queue: app:q, func: app:h, concurrency: ${concurrency}, prefetch: 10, lifecycle: { auto_start: true } }
`;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(concurrency: number) {
  const inspector: LocalInspector = await startInspector({ port: 0 });
  cleanup.push(() => inspector.stop());
  const registry = parseConfigText(yaml(concurrency), '<inline>', { extraFunctionIds: ['app:h'] });
  const runtime = createRuntime({ registry, functions: { 'app:h': async () => {} }, logger: silentLogger, inspect: inspector.inspect });
  cleanup.push(() => runtime.stop());
  const wsUrl = new URL(inspector.url);
  wsUrl.protocol = 'ws:';
  return { inspector, runtime, wsUrl: wsUrl.href };
}

const stateOf = (runtime: ReturnType<typeof createRuntime>, id: string) => runtime.system.get(id)?.getSnapshot().value;

describe('inspector bridge: the whole life', () => {
  it('a client connecting after a start with concurrency 100 builds the full tree', { timeout: 30_000 }, async () => {
    const { runtime, wsUrl } = await setup(100);
    await runtime.start();
    for (let i = 0; i < 20; i++) await runtime.publish('app:q', { i });
    const late = probe(wsUrl);
    await late.opened;
    const ids = ['actorq', 'app:mem', 'app:q', 'app:c', ...Array.from({ length: 100 }, (_, i) => `app:c#worker-${i}`)];
    // Arrival is asynchronous: wait until the last worker's state is in.
    await until(() => expect(byName(buildTree(late.messages), 'app:c#worker-99')?.value).toEqual(stateOf(runtime, 'app:c#worker-99')));
    const tree = buildTree(late.messages);
    const consumer = [...tree.entries()].find(([, n]) => n.name === 'app:c')!;
    for (const id of ids) {
      expect(byName(tree, id), id).toBeDefined();
      expect(byName(tree, id)!.value, id).toEqual(stateOf(runtime, id));
    }
    const workers = [...tree.values()].filter((n) => n.name.startsWith('app:c#worker-'));
    expect(workers).toHaveLength(100);
    expect(workers.every((w) => w.parentId === consumer[0])).toBe(true);
    // Registrations come before anything else that names a session.
    const firstNonActor = late.messages.findIndex((m) => m['type'] !== '@xstate.actor');
    expect(late.messages.slice(firstNonActor).some((m) => m['type'] === '@xstate.actor' && ids.includes(m['name'] as string))).toBe(false);
  });

  it('a client connected at stop sees stopped for the runtime, driver, queue, consumer and workers, then is closed', { timeout: 30_000 }, async () => {
    const { inspector, runtime, wsUrl } = await setup(3);
    await runtime.start();
    const client = probe(wsUrl);
    await client.opened;
    await until(() => expect(byName(buildTree(client.messages), 'app:c')?.value).toBe('running'));
    await runtime.stop();
    await inspector.stop();
    expect((await client.closed).code).toBe(1001);
    const tree = buildTree(client.messages);
    for (const id of ['actorq', 'app:mem', 'app:q', 'app:c', 'app:c#worker-0', 'app:c#worker-1', 'app:c#worker-2']) {
      expect(byName(tree, id)?.value, id).toBe('stopped');
    }
  });

  it('drivers too: a broker driver and its connection actor show their last state (stopped, closed) at a client connected at stop', { timeout: 30_000 }, async () => {
    const inspector = await startInspector({ port: 0 });
    cleanup.push(() => inspector.stop());
    const queue = `inspect_${process.pid}_${Date.now().toString(36)}`;
    cleanup.push(() => destroyQueue(queue).catch(() => {}));
    const registry = parseConfigText(
      `namespace: b
entries:
  - { name: rabbit, kind: queue.driver.amqp, url: "${AMQP_URL}", lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: b:rabbit, queue_name: ${queue} }
  - { name: c, kind: queue.consumer, queue: b:q, func: b:h, lifecycle: { auto_start: true } }
`,
      '<inline>',
      { extraFunctionIds: ['b:h'] },
    );
    const runtime = createRuntime({ registry, functions: { 'b:h': async () => {} }, logger: silentLogger, inspect: inspector.inspect });
    cleanup.push(() => runtime.stop());
    await runtime.start();
    const url = new URL(inspector.url);
    url.protocol = 'ws:';
    const client = probe(url.href);
    await client.opened;
    await until(() => expect(byName(buildTree(client.messages), 'b:rabbit#connection')?.value).toBe('connected'));
    await runtime.stop();
    await inspector.stop();
    const tree = buildTree(client.messages);
    for (const id of ['actorq', 'b:rabbit', 'b:q', 'b:c', 'b:c#worker-0']) expect(byName(tree, id)?.value, id).toBe('stopped');
    expect(byName(tree, 'b:rabbit#connection')?.value).toBe('closed');
  });

  it('stop() ends a client that does not answer the close handshake, within closeTimeoutMs', async () => {
    const inspector = await startInspector({ port: 0, limits: { closeTimeoutMs: 200 } });
    const url = new URL(inspector.url);
    url.protocol = 'ws:';
    const client = probe(url.href);
    await client.opened;
    // Stop reading: the close frame is never answered.
    (client.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const begun = Date.now();
    await inspector.stop();
    expect(Date.now() - begun).toBeLessThan(5_000);
    expect(inspector.clients).toBe(0);
  });
});
