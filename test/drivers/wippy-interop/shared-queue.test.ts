import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AmqpDriver } from '../../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../../src/drivers/amqp/amqp-options.ts';
import { createRuntime } from '../../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../../src/config/load-config.ts';
import { silentLogger } from '../../../src/util/logger.ts';
import { collect, eventually, uniqueQueueName } from '../conformance-helpers.ts';
import { AMQP_URL, destroyQueueAndDelays, makeDriver } from '../amqp/broker-helpers.ts';
import { WippyFixture } from './wippy-fixture.ts';

// Wippy and actorq consumers on one queue. Wippy nacks with requeue and
// counts nothing; actorq counts `attempts` in a copy of the message. On a
// quorum queue RabbitMQ counts returns itself (`x-delivery-count`), and
// actorq adds that count to `attempts`, so failures count whoever nacked.
describe('wippy and actorq consumers sharing a queue: attempts', () => {
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

  async function declared(label: string, options: Record<string, unknown> = {}): Promise<string> {
    const name = uniqueQueueName(label);
    queues.push(name);
    await driver.declare({ id: `test:${label}`, name, options: amqpQueueOptionsSchema.parse(options) });
    return name;
  }

  async function takeOne(name: string, settle: (c: ReturnType<AmqpDriver['consume']>, d: Awaited<ReturnType<typeof collect>>[number]) => unknown) {
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 1 });
    const got = collect(c, 1);
    c.request(1);
    const [d] = await got;
    // Cancel first: with a window of one the broker sends nothing more, so
    // nothing is handed back unseen (on a quorum queue that would count).
    await c.cancel();
    await settle(c, d!);
    return d!;
  }

  it('classic queue: a Wippy nack is not counted (the broker redelivers the same message, attempts unchanged)', async () => {
    const name = await declared('classic');
    await wippy.publish(name, { n: 1 }, {}, 'c-1');
    await wippy.consume(name, 2, () => 'nack');
    const d = await takeOne(name, (c, x) => c.ack(x));
    expect(d.id).toBe('c-1');
    expect(d.headers).not.toHaveProperty('attempts');
  });

  it("quorum queue: Wippy's nacks and actorq's requeues add up", async () => {
    const name = await declared('quorum', { queue_type: 'quorum' });
    await wippy.publish(name, { n: 2 }, {}, 'q-1');
    // actorq fails once: a copy with attempts 1 (a new message to the broker: its count starts again).
    await takeOne(name, (c, x) => c.requeue(x, { ...x.headers, attempts: 1 }));
    // Wippy fails it twice: the broker counts x-delivery-count 2.
    const [, second] = await wippy.consume(name, 2, () => 'nack');
    expect(second!.properties['headers']).toMatchObject({ 'x-delivery-count': { value: 1 } });
    const d = await takeOne(name, (c, x) => c.ack(x));
    expect(d.headers['attempts']).toBe(3);
  });

  it('quorum queue through the runtime: a message Wippy failed twice is dead-lettered after one more failure (max_attempts 3)', async () => {
    const tasks = uniqueQueueName('rt-quorum');
    const dead = uniqueQueueName('rt-quorum-dead');
    queues.push(tasks, dead);
    const yaml = `
namespace: app
entries:
  - { name: rabbit, kind: queue.driver.amqp, url: "${AMQP_URL}", reconnect_delay: 100ms, lifecycle: { auto_start: true } }
  - name: tasks
    kind: queue.queue
    driver: app:rabbit
    queue_name: ${tasks}
    driver_options: { amqp: { queue_type: quorum } }
    dead_letter: { queue: app:dead, max_attempts: 3 }
  - { name: dead, kind: queue.queue, driver: app:rabbit, queue_name: ${dead} }
  - { name: worker, kind: queue.consumer, queue: app:tasks, func: app:handler, lifecycle: { auto_start: false } }
`;
    const attemptsSeen: unknown[] = [];
    const runtime = createRuntime({
      registry: parseConfigText(yaml, '<inline>', { extraFunctionIds: ['app:handler'] }),
      logger: silentLogger,
      functions: {
        'app:handler': (_body, ctx) => {
          attemptsSeen.push(ctx.message.headers['attempts']);
          throw new Error('still failing');
        },
      },
    });
    await runtime.start();
    try {
      // Wippy's declare sends no x-queue-type: the broker refuses it on a quorum queue.
      await expect(wippy.declare(tasks)).rejects.toThrow(/inequivalent arg 'x-queue-type'/);
      await wippy.publish(tasks, { n: 3 }, {}, 'q-2');
      await wippy.consume(tasks, 2, () => 'nack');
      await runtime.startEntry('app:worker');
      await eventually(async () => (await runtime.info('app:dead')).ready === 1, 15_000, 'dead-lettered');
      expect(attemptsSeen).toEqual([2]);
      const [copy] = await wippy.consume(dead, 1);
      expect(copy!.properties['headers']).toMatchObject({ attempts: { '!': 'int64', value: 3 }, x_dead_letter_reason: 'still failing' });
      expect(copy!.properties['headers']).not.toHaveProperty('x-delivery-count');
    } finally {
      await runtime.stop();
    }
  }, 40_000);

  it('quorum queue: a release (stop, unprocessed) is counted too, since the broker counts every return', async () => {
    const name = await declared('quorum-release', { queue_type: 'quorum' });
    await driver.publish(name, [{ id: 'r-1', body: 1, headers: {} }]);
    await takeOne(name, (c, x) => c.release([x]));
    const d = await takeOne(name, (c, x) => c.ack(x));
    expect(d.headers['attempts']).toBe(1);
  });
});
