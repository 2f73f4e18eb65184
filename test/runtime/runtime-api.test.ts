import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { NotFoundError } from '../../src/errors/not-found-error.ts';
import { InvalidMessageError } from '../../src/errors/message-errors.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { consumerYaml, runtimeOf, until } from '../support/runtime-kit.ts';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('publish', () => {
  it('rejects an unknown queue with NotFoundError', async () => {
    runtime = runtimeOf(consumerYaml(), { 't:h': () => {} });
    await runtime.start();
    await expect(runtime.publish('t:nope', { a: 1 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(runtime.publish('t:nope', { a: 1 })).rejects.toThrow(/queue not found: t:nope/);
    await expect(runtime.info('t:nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it.each([[{}], [[]], [null], [undefined]])('rejects an empty body %j and stores nothing', async (body) => {
    runtime = runtimeOf(consumerYaml({ autoStart: false }), { 't:h': () => {} });
    await runtime.start();
    await expect(runtime.publish('t:q', body)).rejects.toBeInstanceOf(InvalidMessageError);
    await expect(runtime.publishBatch('t:q', [1, body, 3])).rejects.toBeInstanceOf(InvalidMessageError);
    expect((await runtime.info('t:q')).message_count).toBe(0);
  });

  it('rejects reserved and non-scalar headers, naming them', async () => {
    runtime = runtimeOf(consumerYaml({ autoStart: false }), { 't:h': () => {} });
    await runtime.start();
    await expect(runtime.publish('t:q', 1, { headers: { attempts: 5 } })).rejects.toThrow(/"attempts" is reserved/);
    await expect(runtime.publish('t:q', 1, { headers: { nested: { a: 1 } } })).rejects.toThrow(/"nested" must be a string, finite number or boolean/);
    await expect(runtime.publish('t:q', 1, { headers: { n: Number.NaN } })).rejects.toThrow(/"n"/);
  });

  it('gives every message a UUID v4 id and a timestamp; neutral headers round-trip', async () => {
    const seen: { id: string; headers: Record<string, unknown> }[] = [];
    runtime = runtimeOf(consumerYaml(), { 't:h': (_b, ctx) => void seen.push({ id: ctx.message.id, headers: { ...ctx.message.headers } }) });
    await runtime.start();
    const neutral = {
      correlation_id: 'c', reply_to: 'app:replies', content_type: 'application/json', message_type: 't', encoding: 'utf-8',
      schema: 's', source: 'test', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'k=v',
    };
    const before = Math.floor(Date.now() / 1000);
    await runtime.publish('t:q', 'a');
    await runtime.publish('t:q', 'b', { headers: neutral });
    await runtime.publish('t:q', 'c', { headers: { timestamp: 42 } });
    await until(() => seen.length === 3, '3 handled');
    expect(seen[0]!.id).toMatch(UUID_V4);
    expect(seen[1]!.id).toMatch(UUID_V4);
    expect(seen[0]!.id).not.toBe(seen[1]!.id);
    expect(seen[0]!.headers['timestamp']).toBeGreaterThanOrEqual(before);
    expect(seen[1]!.headers).toMatchObject(neutral);
    expect(seen[2]!.headers['timestamp']).toBe(42);
  });

  it('can publish after load() and before the consumer starts (memory driver)', async () => {
    runtime = runtimeOf(consumerYaml(), { 't:h': () => {} });
    await runtime.load();
    await runtime.start();
    await runtime.stopEntry('t:c');
    await runtime.publishBatch('t:q', [1, 2, 3]);
    expect(await runtime.info('t:q')).toMatchObject({ ready: 3, consumer_count: 0 });
    await runtime.startEntry('t:c');
    await until(() => runtime!.consumerStats('t:c').acked === 3, 'acked after start');
  });

  it('publishing through a runtime that was never loaded is a clear error', async () => {
    runtime = runtimeOf(consumerYaml(), { 't:h': () => {} });
    await expect(runtime.publish('t:q', 1)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('actor system', () => {
  it('exposes every entry and worker by registry ID with its lifecycle state', async () => {
    runtime = runtimeOf(consumerYaml({ concurrency: 2 }), { 't:h': () => {} });
    await runtime.start();
    expect(runtime.system.get('actorq')).toBe(runtime.root);
    expect(runtime.system.get('t:d')!.getSnapshot().value).toEqual({ running: 'connected' });
    expect(runtime.system.get('t:q')!.getSnapshot().value).toBe('running');
    expect(runtime.system.get('t:c')!.getSnapshot().value).toBe('running');
    expect(runtime.system.get('t:c#worker-0')!.getSnapshot().value).toBe('running');
    expect(runtime.system.get('t:c#worker-1')!.getSnapshot().value).toBe('running');
    await runtime.stop();
    expect(runtime.system.get('t:c')!.getSnapshot().value).toBe('stopped');
    expect(runtime.system.get('t:c#worker-1')!.getSnapshot().value).toBe('stopped');
  });

  it('reports a consumer going idle -> starting -> running -> draining -> stopped on events$', async () => {
    runtime = runtimeOf(consumerYaml(), { 't:h': () => {} });
    const states: string[] = [];
    runtime.events$.subscribe((e) => e.type === 'lifecycle' && e.id === 't:c' && states.push(e.state));
    await runtime.start();
    await runtime.stop();
    expect(states).toEqual(['idle', 'starting', 'running', 'draining', 'stopped']);
  });

  it('starts again after a stop', async () => {
    runtime = runtimeOf(consumerYaml(), { 't:h': () => {} });
    await runtime.start();
    await runtime.stop();
    await runtime.start();
    await runtime.publish('t:q', 1);
    await until(() => runtime!.consumerStats('t:c').acked === 1, 'ack after restart');
  });
});

describe('configuration errors surface from start()', () => {
  it('a bad file makes start() reject with ConfigError naming file, line, entry and field', async () => {
    runtime = createRuntime({ files: ['specs/invalid/concurrency-too-high.yaml'] });
    const error = await runtime.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/concurrency-too-high\.yaml:\d+: entry app\.bad:worker field concurrency: concurrency 1001 exceeds maximum 1000/);
    expect(runtime.root.getSnapshot().value).toBe('loadFailed');
  });

  it('the seed configuration runs with its JS handler', async () => {
    runtime = createRuntime({ files: ['specs/seed'] });
    await runtime.start();
    await runtime.publish('app.queue:tasks', { id: 'task-123', action: 'process', data: 'payload' });
    await until(() => runtime!.consumerStats('app.queue:task_consumer').acked === 1, 'seed task acked');
  });
});
