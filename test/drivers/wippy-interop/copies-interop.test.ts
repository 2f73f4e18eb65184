import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AmqpDriver } from '../../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../../src/drivers/amqp/amqp-options.ts';
import { createRuntime, type Runtime } from '../../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../../src/config/load-config.ts';
import { silentLogger } from '../../../src/util/logger.ts';
import { collect, uniqueQueueName } from '../conformance-helpers.ts';
import { AMQP_URL, destroyQueueAndDelays, makeDriver } from '../amqp/broker-helpers.ts';
import { WippyFixture } from './wippy-fixture.ts';

const NEUTRAL = { correlation_id: 'corr-9', reply_to: 'app.rpc:replies', message_type: 'job', encoding: 'gzip', schema: 's1', source: 'wippy' };
const int64 = (value: number) => ({ '!': 'int64', value });

// A message published by Wippy, retried and dead-lettered by actorq: the
// copies actorq publishes must keep every property and header (Wippy's
// correlation, reply-to and original timestamp included), with the types
// Wippy reads as numbers.
describe('actorq retry and dead-letter copies of a Wippy message', () => {
  let driver: AmqpDriver;
  let wippy: WippyFixture;
  const queues: string[] = [];

  beforeAll(async () => {
    driver = makeDriver();
    await driver.start();
    wippy = await WippyFixture.connect(AMQP_URL);
  });

  afterAll(async () => {
    await driver.stop();
    await wippy.close();
    for (const q of queues) await destroyQueueAndDelays(q, 2000).catch(() => undefined);
  });

  async function declared(label: string): Promise<string> {
    const name = uniqueQueueName(label);
    queues.push(name);
    await driver.declare({ id: `test:${label}`, name, options: amqpQueueOptionsSchema.parse({}) });
    return name;
  }

  it('requeue (at once and delayed) and dead-letter copies keep the properties, the original timestamp and the typed table', async () => {
    const tasks = await declared('copies');
    const dead = await declared('copies-dead');
    await wippy.publish(tasks, { job: 1 }, { ...NEUTRAL, timestamp: 1_600_000_000, n: 5, f: { float: 2.5 }, 'amqp.expiration': '600000', 'amqp.priority': 2 }, 'w-1');

    const c = driver.consume(tasks, { consumerId: 'c', maxUnsettled: 1 });
    const first = collect(c, 1);
    c.request(1);
    const [d1] = await first;
    await c.requeue(d1!, { ...d1!.headers, attempts: 1 });
    const second = collect(c, 1);
    c.request(1);
    const [d2] = await second;
    expect(d2!.headers).toMatchObject({ ...NEUTRAL, timestamp: 1_600_000_000, attempts: 1, n: 5, f: 2.5, 'amqp.expiration': '600000' });
    await c.requeue(d2!, { ...d2!.headers, attempts: 2 }, 20);
    const third = collect(c, 1, 10_000);
    c.request(1);
    const [d3] = await third;
    expect(d3!.headers).toMatchObject({ ...NEUTRAL, timestamp: 1_600_000_000, attempts: 2, n: 5, f: 2.5, 'amqp.expiration': '600000', 'amqp.priority': 2 });
    await c.deadLetter(d3!, dead, { ...d3!.headers, attempts: 3, x_original_queue: 'test:copies', x_dead_letter_reason: 'boom', x_dead_letter_time: 1_700_000_001 });
    await c.cancel();

    const [copy] = await wippy.consume(dead, 1);
    expect(copy!.id).toBe('w-1');
    expect(copy!.body).toEqual({ job: 1 });
    expect(copy!.properties).toMatchObject({
      messageId: 'w-1', correlationId: 'corr-9', replyTo: 'app.rpc:replies', type: 'job', contentType: 'application/json', contentEncoding: 'gzip',
      timestamp: 1_600_000_000, priority: 2, deliveryMode: 2,
    });
    // Dead-lettered: the expiration rides in the table, so the copy does not expire there.
    expect(copy!.properties['expiration']).toBeUndefined();
    expect(copy!.properties['headers']).toStrictEqual({
      schema: 's1', source: 'wippy', n: int64(5), f: { '!': 'double', value: 2.5 }, attempts: int64(3), 'amqp.expiration': '600000',
      x_original_queue: 'test:copies', x_dead_letter_reason: 'boom', x_dead_letter_time: int64(1_700_000_001),
    });
    expect(copy!.lua).toMatchObject({ timestamp: 1_600_000_000, attempts: 3, n: 5, x_dead_letter_time: 1_700_000_001, correlation_id: 'corr-9' });
  });

  it('through the runtime: a failing handler retries a Wippy message and dead-letters it with every header, attempts counted', async () => {
    const tasks = uniqueQueueName('rt-copies');
    const dead = uniqueQueueName('rt-copies-dead');
    queues.push(tasks, dead);
    const yaml = `
namespace: app
entries:
  - { name: rabbit, kind: queue.driver.amqp, url: "${AMQP_URL}", reconnect_delay: 100ms, lifecycle: { auto_start: true } }
  - { name: tasks, kind: queue.queue, driver: app:rabbit, queue_name: ${tasks}, codec: json/plain, dead_letter: { queue: app:dead, max_attempts: 3 } }
  - { name: dead, kind: queue.queue, driver: app:rabbit, queue_name: ${dead} }
  - { name: worker, kind: queue.consumer, queue: app:tasks, func: app:handler, lifecycle: { auto_start: true } }
`;
    const seen: Record<string, unknown>[] = [];
    const runtime: Runtime = createRuntime({
      registry: parseConfigText(yaml, '<inline>', { extraFunctionIds: ['app:handler'] }),
      logger: silentLogger,
      functions: {
        'app:handler': (_body, ctx) => {
          seen.push({ ...ctx.message.headers });
          throw new Error('always fails');
        },
      },
    });
    await runtime.start();
    try {
      await wippy.publish(tasks, { job: 2 }, { ...NEUTRAL, timestamp: 1_600_000_000, n: 5 }, 'w-2');
      const [copy] = await wippy.consume(dead, 1, undefined, 20_000);
      expect(seen.map((h) => h['attempts'])).toEqual([undefined, 1, 2]);
      for (const h of seen) expect(h).toMatchObject({ ...NEUTRAL, timestamp: 1_600_000_000, n: 5 });
      expect(copy!.properties).toMatchObject({ messageId: 'w-2', correlationId: 'corr-9', replyTo: 'app.rpc:replies', timestamp: 1_600_000_000 });
      expect(copy!.properties['headers']).toMatchObject({ n: int64(5), attempts: int64(3), x_original_queue: 'app:tasks', x_dead_letter_reason: 'always fails' });
      expect(copy!.lua['x_dead_letter_time']).toEqual(expect.any(Number));
    } finally {
      await runtime.stop();
    }
  }, 40_000);
});
