import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery, DriverStatusEvent } from '../../src/drivers/driver.ts';
import { NatsDriver } from '../../src/drivers/nats/nats-driver.ts';
import { natsDriverOptionsSchema, natsQueueOptionsSchema } from '../../src/drivers/nats/nats-options.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { eventually, uniqueQueueName } from './conformance-helpers.ts';
import { adminConnection } from './nats/nats-test-env.ts';

/*
 * A NATS server restart, against this test's own nats-server (file store in
 * a temporary directory, free loopback port): the driver reconnects through
 * its connection machine, creates again what the server lost, and
 * publishing and consuming resume; nothing whose publish was acknowledged
 * is lost.
 */
describe('nats driver: server restart', { timeout: 90_000 }, () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  }, 30_000);
  afterAll(() => server?.stop());

  const driverFor = () => new NatsDriver('test:restart', natsDriverOptionsSchema.parse({ servers: server.url, reconnect_delay: 50, reconnect_max_delay: 300, publish_timeout: 30_000 }));

  it('publishing and consuming resume; every acknowledged publish is delivered', async () => {
    const driver = driverFor();
    const events: DriverStatusEvent['type'][] = [];
    const sub = driver.status$.subscribe((e) => events.push(e.type));
    await driver.start();
    const name = uniqueQueueName('natsrst');
    await driver.declare({ id: 'app:q', name, options: natsQueueOptionsSchema.parse({ ack_wait: '3s' }) });
    const received = new Set<string>();
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 20 });
    c.deliveries.subscribe((batch: readonly Delivery[]) => {
      for (const d of batch) {
        received.add(d.id);
        void c.ack(d);
      }
      c.request(batch.length);
    });
    c.request(20);

    const total = 300;
    const acknowledged: string[] = [];
    const publishing = (async () => {
      for (let i = 0; i < total; i++) {
        const id = `m${i}`;
        await driver.publish(name, [{ id, body: { i }, headers: {} }]);
        acknowledged.push(id);
      }
    })();
    await eventually(() => acknowledged.length >= 100, 20_000, '100 published');
    await server.kill();
    await server.restart();
    await publishing;
    await eventually(() => received.size === total, 30_000, `all ${total} delivered (got ${received.size})`);
    expect(acknowledged).toHaveLength(total);
    for (const id of acknowledged) expect(received.has(id)).toBe(true);
    expect(events).toContain('reconnecting');
    expect(events.lastIndexOf('connected')).toBeGreaterThan(events.indexOf('reconnecting'));
    await eventually(async () => (await driver.info(name)).message_count === 0, 10_000, 'all acked');
    sub.unsubscribe();
    await c.cancel();
    await driver.stop();
  });

  it('a stream the server lost (memory storage) is created again on reconnect', async () => {
    const driver = driverFor();
    await driver.start();
    const name = uniqueQueueName('natsmem');
    await driver.declare({ id: 'app:m', name, options: natsQueueOptionsSchema.parse({ storage: 'memory' }) });
    await driver.publish(name, [{ id: 'before', body: 'before', headers: {} }]);
    await server.kill();
    await server.restart();
    await eventually(() => driver.connectionState === 'connected', 20_000, 'reconnected');
    const { nc, jsm } = await adminConnection(server.url);
    try {
      const info = await jsm.streams.info(name);
      expect(info.config.storage).toBe('memory');
      await jsm.consumers.info(name, 'actorq');
    } finally {
      await nc.close();
    }
    await driver.publish(name, [{ id: 'after', body: 'after', headers: {} }]);
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 10 });
    const got: Delivery[] = [];
    c.deliveries.subscribe((b) => got.push(...b));
    c.request(10);
    await eventually(() => got.length === 1, 10_000, 'the message published after the restart');
    expect(got[0]!.id).toBe('after');
    await c.ack(got[0]!);
    await c.cancel();
    await driver.stop();
  });

  it('a stream deleted while connected is created again by the next publish', async () => {
    const driver = driverFor();
    await driver.start();
    const name = uniqueQueueName('natsdel');
    await driver.declare({ id: 'app:d', name, options: natsQueueOptionsSchema.parse({}) });
    const { nc, jsm } = await adminConnection(server.url);
    try {
      await jsm.streams.delete(name);
      await driver.publish(name, [{ id: 'x', body: 'x', headers: {} }]);
      expect((await jsm.streams.info(name)).state.messages).toBe(1);
    } finally {
      await nc.close();
    }
    await driver.stop();
  });
});
