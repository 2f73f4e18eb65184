import { afterAll, describe, expect, it } from 'vitest';
import type { AmqpDriver } from '../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../src/drivers/amqp/amqp-options.ts';
import type { Message } from '../../src/message/message.ts';
import type { AmqpDelivery } from '../../src/drivers/amqp/amqp-delivery.ts';
import { collect, eventually, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { brokerQueueCounts, destroyQueue, makeDriver } from './amqp/broker-helpers.ts';

/**
 * Acks are coalesced into `basic.ack multiple` frames (see
 * `src/drivers/amqp/consumer-channel.ts`). A multiple ack covers every
 * unacknowledged delivery up to its tag, so it must never pass over a
 * message still being processed or one in the middle of a requeue: these
 * tests settle out of order against the real broker and check that nothing
 * is acked early, nothing is acked twice (which would close the channel),
 * and nothing is lost.
 */
const msg = (i: number): Message => ({ id: `m${i}`, body: { i }, headers: {} });

// rabbitmqctl (brokerQueueCounts) takes seconds on a loaded machine: the default 5 s is too short.
describe('amqp driver: coalesced acks', { timeout: 30_000 }, () => {
  const drivers: AmqpDriver[] = [];
  const queues: string[] = [];
  const setup = async (count: number) => {
    const driver = makeDriver();
    drivers.push(driver);
    await driver.start();
    const q = uniqueQueueName('acks');
    queues.push(q);
    await driver.declare({ id: `test:${q}`, name: q, options: amqpQueueOptionsSchema.parse({ durable: true }) });
    await driver.publish(q, Array.from({ length: count }, (_, i) => msg(i)));
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: count + 5 });
    const got = collect(c, count);
    c.request(count);
    return { driver, q, c, ds: await got };
  };
  afterAll(async () => {
    for (const d of drivers) await d.stop().catch(() => undefined);
    for (const q of queues) await destroyQueue(q).catch(() => undefined);
  });

  it('acks in reverse order all reach the broker, and the channel stays usable', async () => {
    const { driver, q, c, ds } = await setup(30);
    for (const d of [...ds].reverse()) c.ack(d);
    await sleep(100);
    await driver.publish(q, [msg(99)]);
    c.request(1);
    const [late] = await collect(c, 1);
    expect(late!.id).toBe('m99');
    c.ack(late!);
    await c.cancel();
    await driver.stop();
    expect((await brokerQueueCounts(q))?.messages).toBe(0);
  });

  it('a message still in a handler at the head is not acked by the acks behind it', async () => {
    const { driver, q, c, ds } = await setup(10);
    for (const d of ds.slice(1)) c.ack(d);
    await sleep(100);
    // Stop with the head unsettled: the broker gets it back, and only it.
    await c.cancel();
    await driver.stop();
    await eventually(async () => (await brokerQueueCounts(q))?.messages === 1, 5000, 'only the unsettled head back in the queue');
    const again = makeDriver();
    drivers.push(again);
    await again.start();
    await again.declare({ id: `test:${q}`, name: q, options: amqpQueueOptionsSchema.parse({ durable: true }) });
    const c2 = again.consume(q, { consumerId: 'c2', maxUnsettled: 5 });
    const got = collect(c2, 1);
    c2.request(5);
    const [head] = await got;
    expect(head!.id).toBe(ds[0]!.id);
    c2.ack(head!);
    await c2.cancel();
  });

  it('a requeue in flight at the head is not acked early by a multiple ack; its copy arrives, nothing is lost', async () => {
    const { driver, q, c, ds } = await setup(6);
    // The first message is requeued (confirmed copy, then ack); the rest are acked at once.
    const moving = c.requeue(ds[0]!, { attempts: 1 });
    for (const d of ds.slice(1)) c.ack(d);
    await moving;
    c.request(1);
    const [copy] = await collect(c, 1);
    expect(copy!.id).toBe(ds[0]!.id);
    expect(copy!.headers['attempts']).toBe(1);
    c.ack(copy!);
    await sleep(100);
    await c.cancel();
    await driver.stop();
    expect((await brokerQueueCounts(q))?.messages).toBe(0);
  });

  it('a release (nack) between acks leaves exactly that message in the queue', async () => {
    const { driver, q, c, ds } = await setup(8);
    for (const [i, d] of ds.entries()) {
      if (i === 3) c.release([d]);
      else c.ack(d);
    }
    await sleep(100);
    await c.cancel();
    await driver.stop();
    await eventually(async () => (await brokerQueueCounts(q))?.messages === 1, 5000, 'the released message back');
  });

  it('deliveries settled only by nacks are not kept: the tracking list stays empty', async () => {
    const { driver, c, ds } = await setup(20);
    // Cancelled first, so the broker does not hand the released messages straight back.
    await c.cancel();
    const channel = (ds[0] as AmqpDelivery).channel;
    expect(channel.tracked).toBe(20);
    for (const d of ds) c.release([d]);
    expect(channel.tracked).toBe(0);
    await driver.stop();
  });
});
