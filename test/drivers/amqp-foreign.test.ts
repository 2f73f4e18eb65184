import { afterAll, describe, expect, it } from 'vitest';
import type { Options } from 'amqplib';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { eventually, uniqueQueueName } from './conformance-helpers.ts';
import { AMQP_URL, destroyQueue, withRawChannel } from './amqp/broker-helpers.ts';
import { recordingLogger } from '../support/runtime-kit.ts';

/** A message another program puts on the queue with plain amqplib. */
interface Foreign {
  readonly name: string;
  readonly content: Buffer;
  readonly options: Options.Publish;
}

/** Each malformed kind: none of these is a message actorq can hand to a handler. */
const UNDECODABLE: readonly Foreign[] = [
  { name: 'text without a content type', content: Buffer.from('hello'), options: {} },
  { name: 'an empty body', content: Buffer.alloc(0), options: { contentType: 'application/json' } },
  { name: 'a "[" that is not JSON', content: Buffer.from('[1, 2, '), options: {} },
  { name: 'JSON content type over broken JSON', content: Buffer.from('{"a":'), options: { contentType: 'application/json', headers: { attempts: 'x' } } },
  { name: 'bytes that are not UTF-8', content: Buffer.from([0x22, 0xff, 0xfe, 0x22]), options: { contentType: 'text/plain' } },
  { name: 'binary', content: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00]), options: { contentType: 'application/zip', headers: { nested: { a: [1, 2] } } } },
  { name: 'JSON null', content: Buffer.from('null'), options: { messageId: 'foreign-null' } },
  { name: 'an empty object', content: Buffer.from('{}'), options: { headers: { x_original_queue: 7 } } },
  // The queue's codec is JSON: a text content type does not make text a message.
  { name: 'text/plain that is not JSON', content: Buffer.from('plain words'), options: { contentType: 'text/plain', messageId: 'text-1' } },
];

/** Foreign but decodable: these reach the handler, with their headers made safe. */
const DECODABLE: readonly Foreign[] = [
  { name: 'JSON under an odd content type', content: Buffer.from('{"id":"odd"}'), options: { contentType: 'weird/type', headers: { attempts: 'three', list: [1] } } },
  { name: 'a negative attempts header', content: Buffer.from('{"id":"neg"}'), options: { headers: { attempts: -5 } } },
];

const tag = (i: number) => ({ id: `good-${i}` });

async function inject(queue: string, between: readonly Foreign[], good: number): Promise<void> {
  await withRawChannel(async (ch) => {
    // Good messages in actorq's own format, interleaved with the foreign ones.
    for (let i = 0; i < good; i++) {
      ch.sendToQueue(queue, Buffer.from(JSON.stringify(tag(i))), { contentType: 'application/json', messageId: `g${i}` });
      const f = between[i % between.length]!;
      if (i < between.length) ch.sendToQueue(queue, f.content, f.options);
    }
    await ch.waitForConfirms();
  });
}

/** Everything in a queue, read with basic.get (acked: the test owns the queue). */
async function drain(queue: string): Promise<{ content: Buffer; headers: Record<string, unknown> }[]> {
  return withRawChannel(async (ch) => {
    const out: { content: Buffer; headers: Record<string, unknown> }[] = [];
    for (let m = await ch.get(queue, { noAck: true }); m; m = await ch.get(queue, { noAck: true })) {
      out.push({ content: m.content, headers: m.properties.headers ?? {} });
    }
    return out;
  });
}

function runtimeYaml(tasks: string, dead: string | undefined): string {
  return `
namespace: t
entries:
  - { name: rabbit, kind: queue.driver.amqp, url: "${AMQP_URL}", reconnect_delay: 100ms, lifecycle: { auto_start: true } }
  - name: tasks
    kind: queue.queue
    driver: t:rabbit
    queue_name: ${tasks}
    ${dead ? 'dead_letter: { queue: t:dead, max_attempts: 3 }' : ''}
  ${dead ? `- { name: dead, kind: queue.queue, driver: t:rabbit, queue_name: ${dead} }` : ''}
  - { name: c, kind: queue.consumer, queue: t:tasks, func: t:h, concurrency: 3, prefetch: 10, lifecycle: { auto_start: true } }
`;
}

describe('amqp: messages from other programs', () => {
  const queues: string[] = [];
  const runtimes: Runtime[] = [];
  afterAll(async () => {
    for (const r of runtimes) await r.stop().catch(() => undefined);
    for (const q of queues) await destroyQueue(q).catch(() => undefined);
    // Stopping runtimes and deleting queues can take a while on a loaded machine; a cut-short hook would leave queues behind.
  }, 60_000);

  it('dead-letters each undecodable kind with its bytes intact, handles every good one, and keeps consuming', async () => {
    const tasks = uniqueQueueName('foreign');
    const dead = uniqueQueueName('foreign-dead');
    queues.push(tasks, dead, `${tasks}.parked`);
    const handled: unknown[] = [];
    const headersSeen = new Map<unknown, Record<string, unknown>>();
    let negCalls = 0;
    const logger = recordingLogger();
    const runtime = createRuntime({
      registry: parseConfigText(runtimeYaml(tasks, dead), '<inline>', { extraFunctionIds: ['t:h'] }),
      logger,
      functions: {
        't:h': async (body, ctx) => {
          // The forged attempts: -5 must not buy extra deliveries: 3 attempts, then dead-lettered.
          if ((body as { id?: string }).id === 'neg') {
            negCalls++;
            throw new Error('always fails');
          }
          handled.push(body);
          headersSeen.set(typeof body === 'object' ? (body as { id: string }).id : body, { ...ctx.message.headers });
        },
      },
    });
    runtimes.push(runtime);
    await runtime.start();
    const good = 20;
    await inject(tasks, [...UNDECODABLE, ...DECODABLE], good);

    await eventually(() => handled.length === good + DECODABLE.length - 1, 15_000, 'every good and decodable message handled');
    await eventually(async () => (await runtime.info('t:dead')).ready === UNDECODABLE.length + 1, 15_000, 'undecodable ones and the poison one dead-lettered');
    expect(negCalls).toBe(3);
    expect(handled).toEqual(expect.arrayContaining([...Array.from({ length: good }, (_, i) => tag(i)), { id: 'odd' }]));
    // Foreign reserved headers were not trusted.
    expect(headersSeen.get('odd')).not.toHaveProperty('attempts');

    // Still consuming, still running.
    await runtime.publish('t:tasks', { id: 'after' });
    await eventually(() => handled.some((b) => (b as { id?: string }).id === 'after'), 10_000, 'a message after the foreign ones');
    expect(runtime.system.get('t:c')?.getSnapshot().value).toBe('running');

    await runtime.stop();
    const inDead = await drain(dead);
    expect(inDead).toHaveLength(UNDECODABLE.length + 1);
    for (const f of UNDECODABLE) {
      const copy = inDead.find((m) => m.content.equals(f.content));
      expect(copy, f.name).toBeDefined();
      expect(copy!.headers['x_original_queue']).toBe('t:tasks');
      expect(copy!.headers['x_dead_letter_reason']).toMatch(/^undecodable: /);
    }
    const poison = inDead.find((m) => m.content.toString() === '{"id":"neg"}');
    expect(poison?.headers).toMatchObject({ attempts: 3, x_dead_letter_reason: 'always fails' });
    // Each set-aside was logged at error level naming queue and reason.
    const setAside = logger.records.filter((r) => r.level === 'error' && r.message.includes('undecodable'));
    expect(setAside).toHaveLength(UNDECODABLE.length);
    for (const r of setAside) expect(r.fields).toMatchObject({ queue: tasks, reason: expect.any(String), to: dead });
    expect((await drain(tasks)).length).toBe(0);
  }, 40_000);

  it('without a dead-letter queue parks them in <queue>.parked, counted by info() and logged', async () => {
    const tasks = uniqueQueueName('foreign-park');
    queues.push(tasks, `${tasks}.parked`);
    const handled: unknown[] = [];
    const logger = recordingLogger();
    const runtime = createRuntime({
      registry: parseConfigText(runtimeYaml(tasks, undefined), '<inline>', { extraFunctionIds: ['t:h'] }),
      logger,
      functions: { 't:h': async (body) => void handled.push(body) },
    });
    runtimes.push(runtime);
    await runtime.start();
    // Before anything was parked there is no parked queue; info() says 0.
    expect(await runtime.info('t:tasks')).toMatchObject({ parked: 0 });
    const kinds = UNDECODABLE.slice(0, 4);
    await inject(tasks, kinds, 6);
    await eventually(() => handled.length === 6, 15_000, 'the good messages handled');
    await eventually(async () => (await runtime.info('t:tasks')).parked === kinds.length, 15_000, 'parked counted');
    expect(await runtime.info('t:tasks')).toMatchObject({ ready: 0, parked: kinds.length });
    const parked = logger.records.filter((r) => r.level === 'error' && r.message === 'amqp: undecodable message parked');
    expect(parked.map((r) => r.fields?.['queue'])).toEqual(kinds.map(() => tasks));
    await runtime.stop();
    const copies = await drain(`${tasks}.parked`);
    expect(copies.map((c) => c.content.toString('hex')).sort()).toEqual(kinds.map((k) => k.content.toString('hex')).sort());
  }, 40_000);
});
