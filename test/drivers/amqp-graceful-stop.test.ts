import { afterAll, describe, expect, it } from 'vitest';
import type { AmqpDriver } from '../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../src/drivers/amqp/amqp-options.ts';
import type { Consumption, Delivery } from '../../src/drivers/driver.ts';
import type { Message } from '../../src/message/message.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { collect, eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { AMQP_URL, brokerQueueCounts, destroyQueue, makeDriver } from './amqp/broker-helpers.ts';

/**
 * A graceful stop never loses a settle: every `basic.ack` (and the ack
 * after a requeue / dead-letter copy, and every release) issued on a
 * consumer channel before `stop()` resolves has reached the broker, so a
 * driver (or runtime) started again after the stop gets none of those
 * messages back. amqplib writes settles into per-channel buffers that are
 * interleaved with the connection's own frames, so closing the connection
 * right after a burst of acks used to let `connection.close` overtake them
 * (the broker ignores frames after it) and the acked messages came back.
 */
const N = 40;
const msg = (i: number): Message => ({ id: `m${i}`, body: { i }, headers: {} });

// rabbitmqctl (brokerQueueCounts) takes seconds on a loaded machine: the default 5 s is too short.
describe('amqp driver: graceful stop keeps every settle', { timeout: 30_000 }, () => {
  const drivers: AmqpDriver[] = [];
  const queues: string[] = [];
  const runtimes: Runtime[] = [];

  const started = async (): Promise<AmqpDriver> => {
    const d = makeDriver();
    drivers.push(d);
    await d.start();
    return d;
  };
  const declare = async (driver: AmqpDriver, name: string): Promise<void> => {
    if (!queues.includes(name)) queues.push(name);
    await driver.declare({ id: `test:${name}`, name, options: amqpQueueOptionsSchema.parse({ durable: true }) });
  };
  /** Consumes `queue` on a (re)started driver for a while and returns what arrived (acking it). */
  const leftOver = async (driver: AmqpDriver, queue: string, ms = 400): Promise<string[]> => {
    const c = driver.consume(queue, { consumerId: 'after', maxUnsettled: 2 * N });
    const rec = record(c);
    c.request(2 * N);
    await sleep(ms);
    const got = rec.stop();
    for (const d of got) await c.ack(d);
    await c.cancel();
    return got.map((d) => d.id);
  };
  const receiveAll = async (driver: AmqpDriver, queue: string): Promise<{ c: Consumption; ds: Delivery[] }> => {
    const c = driver.consume(queue, { consumerId: 'c', maxUnsettled: N });
    const got = collect(c, N);
    c.request(N);
    return { c, ds: await got };
  };

  afterAll(async () => {
    for (const r of runtimes) await r.stop().catch(() => undefined);
    for (const d of drivers) await d.stop().catch(() => undefined);
    for (const q of queues) await destroyQueue(q).catch(() => undefined);
  });

  it('acks issued right before stop() reach the broker: nothing comes back after start()', async () => {
    const driver = await started();
    const q = uniqueQueueName('gs-ack');
    await declare(driver, q);
    await driver.publish(q, Array.from({ length: N }, (_, i) => msg(i)));
    const { c, ds } = await receiveAll(driver, q);
    for (const d of ds) void c.ack(d);
    await driver.stop(); // same tick as the acks: they are still in amqplib's write buffers
    expect((await brokerQueueCounts(q))?.messages).toBe(0);

    await driver.start();
    await declare(driver, q);
    expect(await leftOver(driver, q)).toEqual([]);
    expect((await driver.info(q)).message_count).toBe(0);
  });

  it('acks issued after cancel() and before stop() reach the broker', async () => {
    const driver = await started();
    const q = uniqueQueueName('gs-cancel');
    await declare(driver, q);
    await driver.publish(q, Array.from({ length: N }, (_, i) => msg(i)));
    const { c, ds } = await receiveAll(driver, q);
    await c.cancel();
    for (const d of ds) void c.ack(d);
    await driver.stop();
    expect((await brokerQueueCounts(q))?.messages).toBe(0);

    await driver.start();
    await declare(driver, q);
    expect(await leftOver(driver, q)).toEqual([]);
  });

  it('dead-letter and requeue copies are not duplicated by a stop right after them', async () => {
    const driver = await started();
    const q = uniqueQueueName('gs-move');
    const dead = uniqueQueueName('gs-move-dead');
    await declare(driver, q);
    await declare(driver, dead);
    await driver.publish(q, Array.from({ length: N }, (_, i) => msg(i)));
    const { c, ds } = await receiveAll(driver, q);
    // Half dead-lettered, half requeued with a bumped attempt count: each is a confirmed copy, then an ack.
    await Promise.all(ds.map((d, i) => (i % 2 === 0 ? c.deadLetter(d, dead, { attempts: 1 }) : c.requeue(d, { attempts: 1 }))));
    await driver.stop();
    expect(await brokerQueueCounts(q)).toMatchObject({ messages: N / 2 });
    expect(await brokerQueueCounts(dead)).toMatchObject({ messages: N / 2 });

    await driver.start();
    await declare(driver, q);
    await declare(driver, dead);
    const requeued = await leftOver(driver, q);
    expect(requeued.sort()).toEqual(ds.filter((_, i) => i % 2 === 1).map((d) => d.id).sort());
  });

  it('releases issued right before stop() reach the broker (attempts unchanged, nothing lost)', async () => {
    const driver = await started();
    const q = uniqueQueueName('gs-release');
    await declare(driver, q);
    await driver.publish(q, Array.from({ length: N }, (_, i) => msg(i)));
    const { c, ds } = await receiveAll(driver, q);
    for (const d of ds.slice(0, N / 2)) void c.ack(d);
    void c.release(ds.slice(N / 2));
    await driver.stop();
    await driver.start();
    await declare(driver, q);
    expect((await leftOver(driver, q)).sort()).toEqual(ds.slice(N / 2).map((d) => d.id).sort());
  });

  it('a runtime stopped while handlers finish (ack / dead-letter), then started again, handles every message once', async () => {
    const q = uniqueQueueName('gs-rt');
    const dead = uniqueQueueName('gs-rt-dead');
    queues.push(q, dead);
    const yaml = `
namespace: gs
entries:
  - name: rabbit
    kind: queue.driver.amqp
    url: ${AMQP_URL}
    reconnect_delay: 100ms
    lifecycle: { auto_start: true }
  - name: jobs
    kind: queue.queue
    driver: gs:rabbit
    queue_name: ${q}
    dead_letter: { queue: gs:dead, max_attempts: 1 }
  - name: dead
    kind: queue.queue
    driver: gs:rabbit
    queue_name: ${dead}
  - name: consumer
    kind: queue.consumer
    queue: gs:jobs
    func: gs:handler
    concurrency: ${N}
    prefetch: 1
    lifecycle: { auto_start: true, stop_timeout: 5s }
`;
    const registry = parseConfigText(yaml, '<inline>', { extraFunctionIds: ['gs:handler'] });
    const calls = new Map<number, number>();
    let gate!: () => void;
    const opened = new Promise<void>((r) => (gate = r));
    const runtime = createRuntime({
      registry,
      logger: silentLogger,
      functions: {
        'gs:handler': async (body: { i: number }) => {
          calls.set(body.i, (calls.get(body.i) ?? 0) + 1);
          await opened;
          if (body.i % 2 === 1) throw new Error('dead-lettered at once (max_attempts 1)');
        },
      },
    });
    runtimes.push(runtime);
    await runtime.start();
    await runtime.publishBatch('gs:jobs', Array.from({ length: N }, (_, i) => ({ i })));
    await eventually(() => calls.size === N, 10_000, 'every handler running');
    // The stop drains: all N handlers finish at once (half ack, half dead-letter: confirmed copy, then ack), then the driver stops.
    const stopping = runtime.stop();
    gate();
    await stopping;
    expect(runtime.consumerStats('gs:consumer')).toMatchObject({ acked: N / 2, deadLettered: N / 2 });
    expect((await brokerQueueCounts(q))?.messages).toBe(0);
    expect((await brokerQueueCounts(dead))?.messages).toBe(N / 2);

    await runtime.start();
    await sleep(400);
    expect([...calls.values()].filter((n) => n > 1)).toEqual([]);
    expect((await runtime.info('gs:jobs')).message_count).toBe(0);
    expect((await runtime.info('gs:dead')).message_count).toBe(N / 2);
    await runtime.stop();
  });
});
