import { afterAll, describe, expect, it } from 'vitest';
import type { AmqpDriver } from '../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../src/drivers/amqp/amqp-options.ts';
import type { Delivery, DriverStatusEvent } from '../../src/drivers/driver.ts';
import type { Message } from '../../src/message/message.ts';
import { DriverUnavailableError } from '../../src/errors/lifecycle-errors.ts';
import { eventually, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { AMQP_URL, closeBrokerConnections, destroyQueue, makeDriver } from './amqp/broker-helpers.ts';
import { TcpProxy } from './amqp/tcp-proxy.ts';

const msg = (id: string, body: unknown): Message => ({ id, body, headers: {} });
const broker = new URL(AMQP_URL);
const viaProxy = (proxy: TcpProxy): string => {
  const u = new URL(AMQP_URL);
  u.port = String(proxy.port);
  return u.toString();
};

describe('amqp driver reconnect', () => {
  const drivers: AmqpDriver[] = [];
  const queues: string[] = [];
  const proxies: TcpProxy[] = [];
  const declare = async (driver: AmqpDriver, name = uniqueQueueName('reconnect')) => {
    if (!queues.includes(name)) queues.push(name);
    await driver.declare({ id: `test:${name}`, name, options: amqpQueueOptionsSchema.parse({}) });
    return name;
  };
  const proxied = async (overrides: Record<string, unknown> = {}) => {
    const proxy = new TcpProxy({ host: broker.hostname, port: Number(broker.port || 5672) });
    proxies.push(proxy);
    await proxy.up();
    const driver = makeDriver({ url: viaProxy(proxy), ...overrides });
    drivers.push(driver);
    return { proxy, driver };
  };

  afterAll(async () => {
    for (const d of drivers) await d.stop();
    for (const p of proxies) await p.down();
    for (const q of queues) await destroyQueue(q).catch(() => undefined);
  });

  it('resumes the same consumption by itself after the broker closes the connection', async () => {
    const driver = makeDriver();
    drivers.push(driver);
    const events: DriverStatusEvent['type'][] = [];
    driver.status$.subscribe((e) => events.push(e.type));
    await driver.start();
    const q = await declare(driver);
    const c = driver.consume(q, { consumerId: 'survivor', maxUnsettled: 10 });
    const seen: Delivery[] = [];
    let completed = false;
    c.deliveries.subscribe({ next: (batch) => seen.push(...batch), complete: () => (completed = true) });
    c.request(100);

    await driver.publish(q, [msg('before-1', 1), msg('before-2', 2)]);
    await eventually(() => seen.length === 2, 5000, 'deliveries before the drop');
    await c.ack(seen[0]!); // before-2 stays unacked across the drop

    expect(await closeBrokerConnections(driver.id)).toBe(1);
    await eventually(() => events.includes('reconnecting'), 5000, 'reconnecting');
    await eventually(() => driver.connectionState === 'connected' && events.at(-1) === 'connected', 10_000, 'connected again');

    // Settling a delivery from the dead channel is a no-op, not a crash.
    await c.ack(seen[1]!);
    await driver.publish(q, [msg('after-1', 3), msg('after-2', 4)]);
    await eventually(() => seen.filter((d) => d.id.startsWith('after')).length === 2, 5000, 'deliveries after the drop');
    // The unacked message came back on the new channel too.
    await eventually(() => seen.filter((d) => d.id === 'before-2').length === 2, 5000, 'redelivery of before-2');
    expect(completed).toBe(false);
    expect(events).toEqual(expect.arrayContaining(['connected', 'reconnecting']));
    for (const d of seen.slice(2)) await c.ack(d);
    await eventually(async () => (await driver.info(q)).message_count === 0, 5000, 'queue drained');
    await c.cancel();
    // rabbitmqctl alone takes seconds on a loaded machine.
  }, 30_000);

  it('a publish during an outage waits up to publish_timeout, then fails with a retryable error; after the outage it succeeds', async () => {
    const { proxy, driver } = await proxied({ publish_timeout: 400, reconnect_delay: 50, reconnect_max_delay: 100 });
    await driver.start();
    const q = await declare(driver);
    await proxy.down();
    await eventually(() => driver.connectionState !== 'connected', 5000, 'connection lost');

    const began = Date.now();
    const error = await driver.publish(q, [msg('during', 1)]).catch((e: unknown) => e);
    const waited = Date.now() - began;
    expect(error).toBeInstanceOf(DriverUnavailableError);
    expect(error).toMatchObject({ code: 'DRIVER_UNAVAILABLE', retryable: true });
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(2000);

    // A publish that starts during the outage and sees the connection return in time succeeds.
    const pending = driver.publish(q, [msg('bridged', 2)]);
    await sleep(100);
    await proxy.up();
    await pending;
    await eventually(async () => (await driver.info(q)).ready === 1, 5000, 'the bridged message stored');
  });

  it('never reports success for a message the broker did not confirm, across a drop mid-publish', async () => {
    const { proxy, driver } = await proxied({ publish_timeout: 5000, reconnect_delay: 50, reconnect_max_delay: 100 });
    await driver.start();
    const q = await declare(driver);
    const confirmed: string[] = [];
    const failed: string[] = [];
    const publishes = Array.from({ length: 300 }, (_, i) =>
      driver.publish(q, [msg(`p${i}`, { i })]).then(
        () => void confirmed.push(`p${i}`),
        () => void failed.push(`p${i}`),
      ),
    );
    await sleep(5);
    await proxy.down();
    await sleep(200);
    await proxy.up();
    await Promise.all(publishes);
    expect(confirmed.length + failed.length).toBe(300);

    // Every confirmed message is on the broker (duplicates of unconfirmed re-sends are allowed).
    const c = driver.consume(q, { consumerId: 'check', maxUnsettled: 500 });
    const ids = new Set<string>();
    c.deliveries.subscribe((batch) => {
      for (const d of batch) {
        ids.add(d.id);
        void c.ack(d);
      }
    });
    c.request(1000);
    await eventually(() => confirmed.every((id) => ids.has(id)), 10_000, 'every confirmed message delivered');
    await c.cancel();
  });

  it('stop during an outage rejects waiting publishes with DRIVER_STOPPED', async () => {
    const { proxy, driver } = await proxied({ publish_timeout: 10_000 });
    await driver.start();
    const q = await declare(driver);
    await proxy.down();
    await eventually(() => driver.connectionState !== 'connected', 5000, 'connection lost');
    const waiting = driver.publish(q, [msg('late', 1)]);
    await sleep(50);
    const began = Date.now();
    await driver.stop();
    await expect(waiting).rejects.toMatchObject({ code: 'DRIVER_STOPPED' });
    expect(Date.now() - began).toBeLessThan(3000);
    expect(driver.connectionState).toBe('closed');
  });

  it('a first connect to a closed port fails start with a masked, retryable error', async () => {
    const driver = makeDriver({ url: 'amqp://app:sekrit-pass@127.0.0.1:1/', connection_timeout: 1000 });
    drivers.push(driver);
    const error = (await driver.start().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(DriverUnavailableError);
    expect(error.message).toContain('amqp://app:***@127.0.0.1:1/');
    expect(error.message).not.toContain('sekrit');
    expect(driver.connectionState).toBe('failed');
  });
});
