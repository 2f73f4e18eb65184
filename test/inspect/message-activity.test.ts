import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectExtension } from '../../src/cli/inspect-extension.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { messageActivityKinds, type MessageActivity } from '../../src/inspect/message-activity.ts';
import { startInspector, type LocalInspector } from '../../src/inspect/inspector-server.ts';
import { builtinKinds } from '../../src/kinds/builtin-kinds.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime/create-runtime.ts';
import { until } from '../../src/testing/until.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { buildTree, byName, probe, type Probe } from './ws-probe.ts';

/**
 * `--inspect-messages`: a sample of the messages shows in the inspector as
 * events on their consumer, bodies redacted; the runtime's actors see no
 * event per message (the sample travels beside the actor system), and
 * without the flag nothing is wrapped at all.
 */
const YAML = `namespace: app
entries:
  - { name: mem, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: app:mem, dead_letter: { queue: app:dead, max_attempts: 2 } }
  - { name: dead, kind: queue.queue, driver: app:mem }
  - { name: c, kind: queue.consumer, queue: app:q, func: app:h, concurrency: 4, prefetch: 50, lifecycle: { auto_start: true } }
`;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const base = (handler: (body: unknown) => Promise<void> = async () => {}): RuntimeOptions => ({
  registry: parseConfigText(YAML, '<inline>', { extraFunctionIds: ['app:h'] }),
  functions: { 'app:h': handler },
  logger: silentLogger,
});

/** `actorq run` with these flags, in process: the extension's options, the runtime, the bridge and a client. */
async function runWith(flags: Record<string, unknown>, handler?: (body: unknown) => Promise<void>) {
  const ext = inspectExtension();
  const values = { inspect: false, 'inspect-port': String(await freePort()), 'inspect-payloads': false, 'inspect-messages': false, 'inspect-messages-every': '10', ...flags };
  const options = ext.configure!(base(handler), values);
  const runtime: Runtime = createRuntime(options);
  const inspector = (await ext.listen!(runtime, values, { out: () => {}, err: () => {} })) as LocalInspector;
  cleanup.push(() => ext.stopped!(inspector), () => runtime.stop());
  const client: Probe = probe(inspector.wsUrl);
  await client.opened;
  await runtime.start();
  // The start's last steps reach the client after start() resolved: wait for them.
  await until(() => {
    const tree = buildTree(client.messages);
    for (let i = 0; i < 4; i++) expect(byName(tree, `app:c#worker-${i}`)?.value).toBe('running');
    expect(byName(tree, 'actorq')?.value).toBe('running');
  });
  return { options, runtime, client };
}

const events = (client: Probe, from = 0) => client.messages.slice(from).filter((m) => m['type'] === '@xstate.event').map((m) => m['event'] as { type: string } & Partial<MessageActivity>);

describe('--inspect-messages', () => {
  it('shows one message in N, received and acked, bodies and headers redacted, on the consumer actor', async () => {
    const { runtime, client } = await runWith({ 'inspect-messages': true });
    const mark = client.messages.length;
    await runtime.publishBatch('app:q', Array.from({ length: 100 }, (_, i) => ({ secret: `card-${i}` })));
    await until(() => expect(runtime.consumerStats('app:c').acked).toBe(100));
    await until(() => expect(events(client, mark).filter((e) => e.type === 'message.acked')).toHaveLength(10));
    const seen = events(client, mark);
    expect(seen.filter((e) => e.type === 'message.received')).toHaveLength(10);
    for (const e of seen) {
      expect(e).toMatchObject({ consumer: 'app:c', queue: 'q', body: '[redacted]', headers: '[redacted]', attempts: 0 });
      expect(JSON.stringify(e)).not.toContain('card-');
    }
    // Each on the consumer's actor, and nothing else happened in the actor system for 100 messages.
    const consumerSession = client.messages.find((m) => m['type'] === '@xstate.actor' && m['name'] === 'app:c')!['sessionId'];
    const after = client.messages.slice(mark);
    expect(after.every((m) => m['type'] === '@xstate.event' && m['sessionId'] === consumerSession && String((m['event'] as { type: string }).type).startsWith('message.'))).toBe(true);
  });

  it('with --inspect-payloads the sampled bodies are shown', async () => {
    const { runtime, client } = await runWith({ 'inspect-messages': true, 'inspect-payloads': true, 'inspect-messages-every': '1' });
    await runtime.publish('app:q', { order: 7 });
    await until(() => expect(events(client).find((e) => e.type === 'message.acked')).toMatchObject({ body: { order: 7 } }));
  });

  it('off: --inspect alone wraps no driver and sends nothing per message', async () => {
    const { options, runtime, client } = await runWith({ inspect: true });
    expect(options.kinds).toBeUndefined();
    const mark = client.messages.length;
    await runtime.publishBatch('app:q', Array.from({ length: 100 }, (_, i) => ({ n: i })));
    await until(() => expect(runtime.consumerStats('app:c').acked).toBe(100));
    expect(client.messages.slice(mark)).toEqual([]);
  });

  it('a bad --inspect-messages-every is a usage error naming the flag', () => {
    for (const every of ['0', 'ten', '-3']) {
      expect(() => inspectExtension().configure!(base(), { 'inspect-messages': true, 'inspect-messages-every': every, 'inspect-port': '5678' })).toThrow(/--inspect-messages-every: expected a whole number/);
    }
  });
});

describe('messageActivityKinds', () => {
  it('an app serving the bridge itself watches deliveries with inspector.activity', async () => {
    const inspector = await startInspector({ port: 0 });
    cleanup.push(() => inspector.stop());
    const runtime = createRuntime({ ...base(), inspect: inspector.inspect, kinds: messageActivityKinds(builtinKinds, inspector.activity, { every: 1 }) });
    cleanup.push(() => runtime.stop());
    const client = probe(inspector.wsUrl);
    await client.opened;
    await runtime.start();
    await runtime.publish('app:q', { n: 1 });
    await until(() => expect(events(client).map((e) => e.type)).toEqual(expect.arrayContaining(['message.received', 'message.acked'])));
  });

  it('follows a sampled message through a retry to the dead-letter queue, and a release at stop', async () => {
    const reports: MessageActivity[] = [];
    const kinds = messageActivityKinds(builtinKinds, (a) => void reports.push(a), { every: 1 });
    let calls = 0;
    const gate: (() => void)[] = [];
    const runtime = createRuntime({
      ...base(async (body) => {
        calls++;
        if ((body as { fail?: boolean }).fail) throw new Error('no');
        await new Promise<void>((resolve) => gate.push(resolve));
      }),
      kinds,
    });
    cleanup.push(() => runtime.stop().catch(() => {}));
    await runtime.start();
    await runtime.publish('app:q', { fail: true });
    await until(() => expect(reports.map((r) => r.type)).toEqual(['message.received', 'message.requeued', 'message.received', 'message.dead_lettered']));
    expect(reports.map((r) => r.attempts)).toEqual([0, 1, 1, 2]);
    expect(reports[3]!.queue).toBe('dead');
    // Held handlers fill the workers; the rest wait in the buffer and are released by the stop.
    reports.length = 0;
    await runtime.publishBatch('app:q', Array.from({ length: 6 }, (_, i) => ({ n: i })));
    await until(() => expect(gate).toHaveLength(4));
    const stopping = runtime.stopEntry('app:c');
    await until(() => expect(reports.filter((r) => r.type === 'message.released')).toHaveLength(2));
    for (const open of gate) open();
    await stopping;
    expect(reports.filter((r) => r.type === 'message.acked')).toHaveLength(4);
    expect(calls).toBe(6);
  });

  it('starts following at most maxPerSecond messages a second', async () => {
    const reports: MessageActivity[] = [];
    const runtime = createRuntime({ ...base(), kinds: messageActivityKinds(builtinKinds, (a) => void reports.push(a), { every: 1, maxPerSecond: 5 }) });
    cleanup.push(() => runtime.stop());
    await runtime.start();
    const first = Math.floor(Date.now() / 1000);
    await runtime.publishBatch('app:q', Array.from({ length: 200 }, (_, i) => ({ n: i })));
    await until(() => expect(runtime.consumerStats('app:c').acked).toBe(200));
    const seconds = Math.floor(Date.now() / 1000) - first + 1;
    const received = reports.filter((r) => r.type === 'message.received').length;
    expect(received).toBeGreaterThanOrEqual(5);
    expect(received).toBeLessThanOrEqual(5 * seconds);
    // Every message followed is followed to its settle.
    expect(reports.filter((r) => r.type === 'message.acked')).toHaveLength(received);
  });
});
