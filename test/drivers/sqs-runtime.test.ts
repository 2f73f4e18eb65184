import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Runtime } from '../../src/runtime/create-runtime.ts';
import type { SqsDriver } from '../../src/drivers/sqs/sqs-driver.ts';
import { PublishRejectedError } from '../../src/errors/lifecycle-errors.ts';
import { runtimeOf, until } from '../support/runtime-kit.ts';
import { collect, eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { deleteQueue, makeDriver, plainClient, queueUrl, sharedFauxqs, TEST_KEY_ID, TEST_SECRET } from './sqs/sqs-test-env.ts';

/*
 * The SQS driver under the whole runtime and against a second consumer:
 * visibility heartbeats, a graceful stop that loses nothing, max_attempts
 * from SQS's receive count, partly refused batches.
 */
const { server, stopServer } = sharedFauxqs();
const made: string[] = [];
const drivers: SqsDriver[] = [];
let runtime: Runtime | undefined;

afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
  for (const d of drivers.splice(0)) await d.stop().catch(() => {});
}, 30_000);

afterAll(async () => {
  const { endpoint } = await server();
  for (const q of made) await deleteQueue(endpoint, q).catch(() => {});
  await stopServer();
}, 30_000);

async function startedDriver(extra: Record<string, unknown> = {}): Promise<SqsDriver> {
  const d = makeDriver((await server()).endpoint, extra);
  drivers.push(d);
  await d.start();
  return d;
}

function queueName(label: string): string {
  const name = uniqueQueueName(label);
  made.push(name);
  return name;
}

const yaml = (endpoint: string, q: string, dlq: string, consumer: string) => `
namespace: s
entries:
  - name: d
    kind: queue.driver.sqs
    region: us-east-1
    endpoint: ${endpoint}
    access_key_id: ${TEST_KEY_ID}
    secret_access_key: ${TEST_SECRET}
    reconnect_delay: 50ms
    lifecycle: { auto_start: true }
  - name: q
    kind: queue.queue
    driver: s:d
    queue_name: ${q}
    driver_options: { sqs: { visibility_timeout: 3, wait_time: 1 } }
    dead_letter: { queue: s:dlq, max_attempts: 3 }
  - { name: dlq, kind: queue.queue, driver: s:d, queue_name: ${dlq}, driver_options: { sqs: { wait_time: 1 } } }
  - name: c
    kind: queue.consumer
    queue: s:q
    func: s:h
    ${consumer}
`;

describe('sqs visibility heartbeat', { timeout: 30_000 }, () => {
  it('a message held past its visibility timeout stays hidden from a second consumer, and is received once', async () => {
    const a = await startedDriver();
    const b = await startedDriver();
    const name = queueName('sqshb');
    const decl = { id: 's:hb', name, options: { visibility_timeout: 2, wait_time: 1 } };
    await a.declare(decl);
    await b.declare(decl);
    await a.publish(name, [{ id: 'long', body: 'slow work', headers: {} }]);
    const ca = a.consume(name, { consumerId: 'a', maxUnsettled: 1 });
    const got = collect(ca, 1);
    ca.request(1);
    const [held] = await got;
    const cb = b.consume(name, { consumerId: 'b', maxUnsettled: 5 });
    const rec = record(cb);
    cb.request(5);
    // Three visibility timeouts: without extensions the second consumer would get it after the first.
    await sleep(6000);
    expect(rec.items).toHaveLength(0);
    await ca.ack(held!);
    await eventually(async () => (await a.info(name)).message_count === 0, 10_000, 'message deleted');
    expect(rec.stop()).toHaveLength(0);
    await ca.cancel();
    await cb.cancel();
  });
});

describe('sqs under the runtime', { timeout: 60_000 }, () => {
  it('the connection machine is an actor of the runtime, <driver id>#connection', async () => {
    const { endpoint } = await server();
    runtime = runtimeOf(yaml(endpoint, queueName('sqsadopt'), queueName('sqsadoptdl'), 'lifecycle: { auto_start: true }'), { 's:h': () => undefined });
    await runtime.start();
    const connection = runtime.system.get('s:d#connection');
    expect(connection?.getSnapshot().value).toBe('connected');
    await runtime.stop();
    runtime = undefined;
    expect(connection!.getSnapshot().value).toBe('closed');
  });

  it('max_attempts from the receive count: three handler calls, then the dead-letter copy with its reason', async () => {
    const { endpoint } = await server();
    const [q, dlq] = [queueName('sqsrtq'), queueName('sqsrtdl')];
    const calls: unknown[] = [];
    const dead: { body: unknown; headers: Record<string, unknown> }[] = [];
    runtime = runtimeOf(yaml(endpoint, q, dlq, 'lifecycle: { auto_start: true }') + '  - { name: dc, kind: queue.consumer, queue: s:dlq, func: s:dh, lifecycle: { auto_start: true } }\n', {
      's:h': (_body, ctx) => {
        calls.push(ctx.message.headers['attempts']);
        throw new Error('poison');
      },
      's:dh': (body, ctx) => void dead.push({ body, headers: { ...ctx.message.headers } }),
    });
    await runtime.start();
    await runtime.publish('s:q', { task: 1 });
    await until(() => dead.length === 1, 'the dead-letter', 20_000);
    expect(calls).toEqual([undefined, 1, 2]);
    expect(dead[0]!.body).toEqual({ task: 1 });
    expect(dead[0]!.headers).toMatchObject({ attempts: 3, x_original_queue: 's:q', x_dead_letter_reason: 'poison' });
    await until(async () => (await runtime!.info('s:q')).message_count === 0, 'source queue empty', 10_000);
  });

  it('a consumer own driver_options.sqs sets the visibility timeout of its receives; a bad one is a config error naming the field', async () => {
    const { endpoint } = await server();
    const [q, dlq] = [queueName('sqscons'), queueName('sqsconsdl')];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started = false;
    runtime = runtimeOf(yaml(endpoint, q, dlq, 'driver_options: { sqs: { visibility_timeout: 9, wait_time: 1 } }\n    lifecycle: { auto_start: true }'), {
      's:h': async () => {
        started = true;
        await held;
      },
    });
    await runtime.start();
    await runtime.publish('s:q', { n: 1 });
    await until(() => started, 'the handler running', 10_000);
    // The emulator's inspection endpoint: the message is hidden for the consumer's 9 s, not the queue's 3 s.
    const stored = (await (await fetch(`${endpoint}/_fauxqs/queues/${q}`)).json()) as { messages: { inflight: { visibilityDeadline: number }[] } };
    const left = stored.messages.inflight[0]!.visibilityDeadline - Date.now();
    expect(left).toBeGreaterThan(4_000);
    expect(left).toBeLessThanOrEqual(9_000);
    release();
    await runtime.stop();
    runtime = undefined;
    const bad = runtimeOf(yaml(endpoint, q, dlq, 'driver_options: { sqs: { visibility_timeout: 500ms, wait_tme: 1 } }'), { 's:h': () => undefined });
    const error = await bad.start().then(() => undefined, (e: unknown) => e);
    await bad.stop().catch(() => {});
    expect(String((error as Error)?.message)).toContain('driver_options.sqs.visibility_timeout');
    expect(String((error as Error)?.message)).toContain('"wait_tme"');
  });

  it('a graceful stop loses nothing: what was buffered goes back with its attempts, and a new run handles the rest', async () => {
    const { endpoint } = await server();
    const [q, dlq] = [queueName('sqsgsq'), queueName('sqsgsdl')];
    const handled = new Map<string, unknown>();
    const handler = async (body: unknown, ctx: { message: { headers: Record<string, unknown> } }) => {
      await sleep(50);
      handled.set(String((body as { n: number }).n), ctx.message.headers['attempts']);
    };
    const config = yaml(endpoint, q, dlq, 'concurrency: 2\n    prefetch: 30\n    lifecycle: { auto_start: true, stop_timeout: 5s }');
    runtime = runtimeOf(config, { 's:h': handler });
    await runtime.start();
    const total = 80;
    await runtime.publishBatch('s:q', Array.from({ length: total }, (_, n) => ({ n })));
    await until(() => handled.size >= 10, '10 handled', 20_000);
    await runtime.stop();
    runtime = undefined;
    const first = handled.size;
    expect(first).toBeLessThan(total);
    // A second run takes what the first released (and nothing it handled).
    const again = new Map<string, unknown>();
    runtime = runtimeOf(config, {
      's:h': async (body, ctx) => void again.set(String((body as { n: number }).n), ctx.message.headers['attempts']),
    });
    await runtime.start();
    await until(() => handled.size + again.size >= total, `all ${total} handled`, 30_000);
    await sleep(500);
    const ids = [...handled.keys(), ...again.keys()];
    expect(new Set(ids).size).toBe(total);
    // Released, not failed: no attempt counted on any of them.
    expect([...again.values()].filter((a) => a !== undefined)).toEqual([]);
  });
});

describe('sqs declare', { timeout: 30_000 }, () => {
  it('creates a missing queue with the driver retention and visibility timeout (the queue may set its own); never changes an existing one', async () => {
    const d = await startedDriver({ visibility_timeout: 7, wait_time_seconds: 2, message_retention_period: '1h' });
    const [a, b] = [queueName('sqsdecla'), queueName('sqsdeclb')];
    await d.declare({ id: 's:a', name: a, options: {} });
    await d.declare({ id: 's:b', name: b, options: { visibility_timeout: 9, default_visibility_timeout: 11 } });
    expect(d.queues.get(a)).toMatchObject({ visibilitySeconds: 7, waitSeconds: 2, fifo: false });
    expect(d.queues.get(b)).toMatchObject({ visibilitySeconds: 9, waitSeconds: 2 });
    const sdk = plainClient((await server()).endpoint);
    try {
      const attributes = async (name: string) =>
        (await sdk.send(new GetQueueAttributesCommand({ QueueUrl: await queueUrl(sdk, name), AttributeNames: ['VisibilityTimeout', 'MessageRetentionPeriod'] }))).Attributes;
      expect(await attributes(a)).toEqual({ VisibilityTimeout: '7', MessageRetentionPeriod: '3600' });
      expect(await attributes(b)).toEqual({ VisibilityTimeout: '11', MessageRetentionPeriod: '3600' });
      // Declared again by a driver with other settings: the queue stays as it is.
      const other = await startedDriver({ visibility_timeout: 60, message_retention_period: '2h' });
      await other.declare({ id: 's:a', name: a, options: {} });
      expect(await attributes(a)).toEqual({ VisibilityTimeout: '7', MessageRetentionPeriod: '3600' });
    } finally {
      sdk.destroy();
    }
  });
});

describe('sqs cancel', { timeout: 30_000 }, () => {
  it('leaves a long poll out instead of aborting it: what it brings back goes to the next consumer at once, not after a visibility timeout', async () => {
    const d = await startedDriver();
    const name = queueName('sqscancel');
    await d.declare({ id: 's:c', name, options: { wait_time: 5, visibility_timeout: 30 } });
    const first = d.consume(name, { consumerId: 'first', maxUnsettled: 5 });
    first.request(5);
    await sleep(300); // its long poll is out, on an empty queue
    await first.cancel();
    await d.publish(name, [{ id: 'm', body: 1, headers: {} }]);
    const second = d.consume(name, { consumerId: 'second', maxUnsettled: 5 });
    const got = collect(second, 1, 10_000);
    second.request(5);
    const [m] = await got;
    expect(m!.id).toBe('m');
    expect(m!.headers['attempts']).toBeUndefined();
    await second.ack(m!);
    await second.cancel();
    // Both leave the driver once nothing is held and no receive is out.
    await eventually(() => d.openConsumptions === 0, 15_000, 'consumptions finished');
  });
});

describe('sqs short polling', { timeout: 30_000 }, () => {
  it('wait_time 0 on an empty queue pauses between receives instead of looping', async () => {
    const d = await startedDriver();
    const name = queueName('sqsshort');
    await d.declare({ id: 's:short', name, options: { wait_time: 0 } });
    let receives = 0;
    const send = d.connection.send;
    d.connection.send = ((command: { constructor: { name: string } }, options?: unknown) => {
      if (command.constructor.name === 'ReceiveMessageCommand') receives++;
      return (send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
    }) as typeof send;
    const c = d.consume(name, { consumerId: 'c', maxUnsettled: 5 });
    c.request(5);
    await sleep(1000);
    await c.cancel();
    expect(receives).toBeGreaterThan(0);
    expect(receives).toBeLessThanOrEqual(10);
  });
});

describe('sqs dead-letter copies', { timeout: 30_000 }, () => {
  it('a dead-letter whose copy fails rejects and leaves the original on its queue, hidden until its visibility timeout', async () => {
    const d = await startedDriver();
    const [name, dlqName] = [queueName('sqsdlf'), queueName('sqsdlfd')];
    await d.declare({ id: 's:q', name, options: { wait_time: 1, visibility_timeout: 2 } });
    await d.declare({ id: 's:dlq', name: dlqName, options: { wait_time: 1 } });
    const sdk = plainClient((await server()).endpoint);
    try {
      await sdk.send(new DeleteQueueCommand({ QueueUrl: await queueUrl(sdk, dlqName) }));
    } finally {
      sdk.destroy();
    }
    await d.publish(name, [{ id: 'poison', body: 1, headers: {} }]);
    const c = d.consume(name, { consumerId: 'c', maxUnsettled: 1 });
    const first = collect(c, 1);
    c.request(1);
    const [m] = await first;
    await expect(c.deadLetter(m!, dlqName, { attempts: 3, x_original_queue: 's:q', x_dead_letter_reason: 'boom', x_dead_letter_time: 1 })).rejects.toThrow();
    expect((await d.info(name)).message_count).toBe(1);
    // It comes back after its visibility timeout, with the failed attempt counted.
    const again = collect(c, 1, 10_000);
    c.request(1);
    const [back] = await again;
    expect(back!.id).toBe('poison');
    expect(back!.headers['attempts']).toBe(1);
    await c.ack(back!);
    await c.cancel();
  });
});

describe('sqs publish batches', { timeout: 30_000 }, () => {
  it('a partly refused batch names exactly the refused message; the others are stored', async () => {
    const d = await startedDriver();
    const name = queueName('sqsbig');
    const sdk = plainClient((await server()).endpoint);
    try {
      await sdk.send(new CreateQueueCommand({ QueueName: name, Attributes: { MaximumMessageSize: '1024' } }));
      await d.declare({ id: 's:big', name, options: { wait_time: 1 } });
      const error = await d
        .publish(name, [
          { id: 'small-1', body: 'a', headers: {} },
          { id: 'too-big', body: 'x'.repeat(2000), headers: {} },
          { id: 'small-2', body: 'b', headers: {} },
        ])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PublishRejectedError);
      expect((error as Error).message).toContain('refused 1 of 3 message(s)');
      expect((error as Error).message).toContain('too-big');
      expect((error as Error).message).not.toContain('small-');
      const url = await queueUrl(sdk, name);
      const r = await sdk.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      expect((r.Messages ?? []).map((m) => m.Body).sort()).toEqual(['"a"', '"b"']);
    } finally {
      sdk.destroy();
    }
  });

  it('publishBatch of many messages goes out in batches of 10 and keeps its order', async () => {
    const d = await startedDriver();
    const name = queueName('sqsmany');
    await d.declare({ id: 's:many', name, options: { wait_time: 1 } });
    await d.publish(name, Array.from({ length: 35 }, (_, i) => ({ id: `m${i}`, body: i, headers: {} })));
    const c = d.consume(name, { consumerId: 'c', maxUnsettled: 10 });
    const got: number[] = [];
    c.deliveries.subscribe((batch) => {
      for (const x of batch) {
        got.push(x.body as number);
        void c.ack(x);
      }
      c.request(batch.length);
    });
    c.request(10);
    await eventually(() => got.length === 35, 15_000, '35 messages');
    expect(got).toEqual(Array.from({ length: 35 }, (_, i) => i));
    await c.cancel();
  });
});
