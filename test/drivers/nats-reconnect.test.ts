import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/drivers/driver.ts';
import { NatsDriver } from '../../src/drivers/nats/nats-driver.ts';
import { natsDriverOptionsSchema, natsQueueOptionsSchema } from '../../src/drivers/nats/nats-options.ts';
import { TcpFaultProxy } from '../support/tcp-fault-proxy.ts';
import { eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { destroyQueue, NATS_URL } from './nats/nats-test-env.ts';

/*
 * Lost connections, cut by a proxy in front of the shared server (only this
 * test's own connections go through it).
 */
describe('nats driver: lost connections', { timeout: 60_000 }, () => {
  let proxy: TcpFaultProxy;
  const names: string[] = [];
  const drivers: NatsDriver[] = [];
  beforeAll(async () => {
    const u = new URL(NATS_URL);
    proxy = await TcpFaultProxy.start({ host: u.hostname, port: Number(u.port || 4222) });
  });
  afterEach(async () => {
    await proxy.up();
    for (const d of drivers.splice(0)) await d.stop();
  });
  afterAll(async () => {
    await proxy.close();
    for (const n of names) await destroyQueue(n);
  });

  async function setUp(extra: Record<string, unknown> = {}, ackWait = '2s') {
    const driver = new NatsDriver('test:reconnect', natsDriverOptionsSchema.parse({ servers: `nats://127.0.0.1:${proxy.port}`, reconnect_delay: 50, reconnect_max_delay: 200, ...extra }));
    drivers.push(driver);
    await driver.start();
    const name = uniqueQueueName('natsrc');
    names.push(name);
    await driver.declare({ id: 'app:q', name, options: natsQueueOptionsSchema.parse({ ack_wait: ackWait }) });
    return { driver, name };
  }

  it('a message received before the loss is acked after it, on the new connection, and not redelivered', async () => {
    const { driver, name } = await setUp();
    await driver.publish(name, [{ id: 'm', body: 1, headers: {} }]);
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 10 });
    const rec = record(c);
    c.request(10);
    await eventually(() => rec.items.length === 1, 5000, 'the delivery');
    await proxy.down();
    await eventually(() => driver.connectionState === 'reconnecting' || driver.connectionState === 'connecting', 5000, 'the loss noticed');
    // Settled while no connection exists: kept for the next one.
    c.ack(rec.items[0]!);
    await proxy.up();
    await eventually(() => driver.connectionState === 'connected', 10_000, 'reconnected');
    await eventually(async () => (await driver.info(name)).message_count === 0, 5000, 'the ack applied');
    // Past ack_wait: an ack lost with the connection would have brought it back by now.
    await sleep(2500);
    expect(rec.stop()).toHaveLength(1);
    await c.cancel();
  });

  it('consuming resumes on the new connection, and a publish during the outage waits for it', async () => {
    const { driver, name } = await setUp();
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 5 });
    const got: Delivery[] = [];
    c.deliveries.subscribe((batch) => {
      got.push(...batch);
      for (const d of batch) c.ack(d);
      c.request(batch.length);
    });
    c.request(5);
    await driver.publish(name, [1, 2, 3].map((n) => ({ id: `a${n}`, body: n, headers: {} })));
    await eventually(() => got.length === 3, 5000, 'before the cut');
    await proxy.down();
    const during = driver.publish(name, [4, 5, 6].map((n) => ({ id: `b${n}`, body: n, headers: {} })));
    await sleep(200);
    await proxy.up();
    await during;
    await eventually(() => got.length === 6, 10_000, 'after the reconnect');
    expect(got.map((d) => d.body)).toEqual([1, 2, 3, 4, 5, 6]);
    await c.cancel();
  });

  it('an outage longer than publish_timeout fails the publish, retryable; info fails at once', async () => {
    const { driver, name } = await setUp({ publish_timeout: 300 });
    await proxy.down();
    await eventually(() => driver.connectionState !== 'connected', 5000, 'the loss noticed');
    await expect(driver.publish(name, [{ id: 'x', body: 1, headers: {} }])).rejects.toMatchObject({ code: 'DRIVER_UNAVAILABLE', retryable: true });
    await expect(driver.info(name)).rejects.toMatchObject({ code: 'DRIVER_UNAVAILABLE' });
  });
});
