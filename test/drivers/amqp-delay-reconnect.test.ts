import { afterAll, describe, expect, it } from 'vitest';
import type { AmqpDriver } from '../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../src/drivers/amqp/amqp-options.ts';
import { delayLevel, delayQueueName } from '../../src/drivers/amqp/delay-ladder.ts';
import type { Delivery } from '../../src/drivers/driver.ts';
import type { Message } from '../../src/message/message.ts';
import { TcpFaultProxy } from '../support/tcp-fault-proxy.ts';
import { eventually, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { AMQP_URL, destroyQueueAndDelays, makeDriver, withRawChannel } from './amqp/broker-helpers.ts';

const msg = (id: string): Message => ({ id, body: { id }, headers: {} });
const broker = new URL(AMQP_URL);

/** Ready count of a queue, seen directly on the broker; `undefined` if it does not exist. */
function rawCount(name: string): Promise<number | undefined> {
  return withRawChannel(async (ch) => {
    ch.on('error', () => undefined);
    try {
      return (await ch.checkQueue(name)).messageCount;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  });
}

describe('amqp delay queues across a reconnect', () => {
  const queue = uniqueQueueName('delay-reconnect');
  let proxy: TcpFaultProxy | undefined;
  let driver: AmqpDriver | undefined;

  afterAll(async () => {
    await driver?.stop();
    await proxy?.close();
    await destroyQueueAndDelays(queue).catch(() => undefined);
  });

  it('declares its delay queues again on reconnect, keeps what waits in them, and publishes delayed across an outage', async () => {
    proxy = await TcpFaultProxy.start({ host: broker.hostname, port: Number(broker.port || 5672) });
    const url = new URL(AMQP_URL);
    url.port = String(proxy.port);
    driver = makeDriver({ url: url.toString() });
    await driver.start();
    await driver.declare({ id: 'test:delay-reconnect', name: queue, options: amqpQueueOptionsSchema.parse({}) });
    const waiting = delayQueueName(queue, delayLevel(3000));
    const emptied = delayQueueName(queue, delayLevel(1000));

    const t0 = Date.now();
    await driver.publish(queue, [msg('waits')], { delayMs: 3000 });
    await driver.publish(queue, [msg('gone')], { delayMs: 1000 });
    expect(await rawCount(waiting)).toBe(1);

    // Outage; meanwhile the broker loses one of the delay queues (and its message).
    await proxy.down();
    await eventually(() => driver!.connectionState !== 'connected', 5000, 'driver to notice the outage');
    await withRawChannel((ch) => ch.deleteQueue(emptied));
    expect(await rawCount(emptied)).toBeUndefined();
    // A delayed publish during the outage waits for the connection.
    const duringAt = Date.now();
    const during = driver.publish(queue, [msg('during')], { delayMs: 1000 });
    await proxy.up();
    await during;
    await eventually(() => driver!.connectionState === 'connected', 10_000, 'connected again');

    // Declared again on reconnect (it holds the message published after it), and the other kept its message.
    expect(await rawCount(emptied)).toBeGreaterThanOrEqual(0);
    expect(await rawCount(waiting)).toBe(1);

    const c = driver.consume(queue, { consumerId: 'c', maxUnsettled: 10 });
    const at = new Map<string, number>();
    const got: Delivery[] = [];
    c.deliveries.subscribe((batch) => {
      for (const d of batch) {
        at.set(d.id, Date.now());
        got.push(d);
      }
    });
    c.request(10);
    await eventually(() => at.has('waits') && at.has('during'), 10_000, 'both delayed messages');
    expect(at.get('waits')! - t0).toBeGreaterThanOrEqual(3000);
    expect(at.get('during')! - duringAt).toBeGreaterThanOrEqual(1000);
    expect(got.map((d) => d.id).sort()).toEqual(['during', 'waits']);
    for (const d of got) c.ack(d);
    await c.cancel();
  }, 40_000);

  it('a connection lost while a new delay queue is being declared: the publish waits for the reconnect, nothing early', async () => {
    // The declare of a level not used yet stalls in the network, then the connection drops under it.
    proxy!.pause();
    const began = Date.now();
    const publishing = driver!.publish(queue, [msg('stalled')], { delayMs: 700 });
    await sleep(300);
    proxy!.cut();
    proxy!.resume();
    await publishing;
    expect(await rawCount(delayQueueName(queue, delayLevel(700)))).toBe(1);
    const c = driver!.consume(queue, { consumerId: 'c2', maxUnsettled: 10 });
    const got: { d: Delivery; at: number }[] = [];
    c.deliveries.subscribe((batch) => {
      for (const d of batch) got.push({ d, at: Date.now() });
    });
    c.request(10);
    await eventually(() => got.length === 1, 10_000, 'the stalled message');
    expect(got[0]!.d.id).toBe('stalled');
    expect(got[0]!.at - began).toBeGreaterThanOrEqual(700);
    c.ack(got[0]!.d);
    await c.cancel();
  }, 20_000);

  it('a reconnect with nothing published declares the delay queues it used', async () => {
    await withRawChannel((ch) => ch.deleteQueue(delayQueueName(queue, delayLevel(3000))));
    expect(await rawCount(delayQueueName(queue, delayLevel(3000)))).toBeUndefined();
    proxy!.cut();
    await eventually(() => driver!.connectionState !== 'connected', 5000, 'driver to notice the cut');
    await eventually(() => driver!.connectionState === 'connected', 10_000, 'connected again');
    expect(await rawCount(delayQueueName(queue, delayLevel(3000)))).toBe(0);
  }, 20_000);
});
