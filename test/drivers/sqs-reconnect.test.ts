import { afterEach, describe, expect, it } from 'vitest';
import type { DriverStatusEvent } from '../../src/drivers/driver.ts';
import type { SqsDriver } from '../../src/drivers/sqs/sqs-driver.ts';
import { startFauxqs, type FauxqsServer } from '../support/fauxqs-server.ts';
import { eventually, record, uniqueQueueName } from './conformance-helpers.ts';
import { makeDriver } from './sqs/sqs-test-env.ts';

/*
 * The endpoint goes away and comes back (a private fauxqs, killed and
 * started again on the same port, empty as after a failover): the
 * connection machine reports `reconnecting`, publishes wait and then fail
 * retryably, probes go on with backoff, and once the endpoint answers the
 * driver declares its queues again and its consumers receive again.
 */
describe('sqs endpoint lost and back', { timeout: 60_000 }, () => {
  let server: FauxqsServer | undefined;
  let driver: SqsDriver | undefined;
  afterEach(async () => {
    await driver?.stop();
    await server?.stop();
  }, 30_000);

  it('reconnects, declares its queues again and resumes receiving', async () => {
    server = await startFauxqs();
    driver = makeDriver(server.endpoint, { publish_timeout: '1s', reconnect_delay: '100ms', reconnect_max_delay: '300ms' });
    const events: DriverStatusEvent[] = [];
    driver.status$.subscribe((e) => events.push(e));
    await driver.start();
    const name = uniqueQueueName('sqsrecon');
    await driver.declare({ id: 'r:q', name, options: { wait_time: 1, visibility_timeout: 5 } });
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 10 });
    const rec = record(c);
    c.request(10);
    await driver.publish(name, [{ id: 'before', body: 1, headers: {} }]);
    await eventually(() => rec.items.length === 1, 10_000, 'the first message');
    await c.ack(rec.items[0]!);

    await server.kill();
    // The long poll in flight fails: the connection machine starts probing.
    await eventually(() => events.some((e) => e.type === 'reconnecting'), 10_000, 'reconnecting');
    const error = await driver.publish(name, [{ id: 'during', body: 2, headers: {} }]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DRIVER_UNAVAILABLE', retryable: true });
    await expect(driver.info(name)).rejects.toMatchObject({ code: 'DRIVER_UNAVAILABLE' });

    await server.restart();
    await eventually(() => driver!.connection.connected, 15_000, 'connected again');
    expect(events.at(-1)).toEqual({ type: 'connected' });
    // The restarted server was empty: the queue exists again because the driver declared it.
    expect((await driver.info(name)).message_count).toBe(0);
    await driver.publish(name, [{ id: 'after', body: 3, headers: {} }]);
    await eventually(() => rec.items.length === 2, 10_000, 'the message published after the outage');
    expect(rec.items[1]!.id).toBe('after');
    await c.ack(rec.items[1]!);
    rec.stop();
    await c.cancel();
  });

  it('a first start against nothing fails at once; the driver can be started once the endpoint is there', async () => {
    server = await startFauxqs();
    await server.kill();
    driver = makeDriver(server.endpoint);
    await expect(driver.start()).rejects.toMatchObject({ code: 'DRIVER_UNAVAILABLE' });
    await server.restart();
    await driver.start();
    expect(driver.connection.connected).toBe(true);
  });
});
