import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { AmqpDriver } from '../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../src/drivers/amqp/amqp-options.ts';
import type { Consumption, Delivery } from '../../src/drivers/driver.ts';
import { DriverUnavailableError } from '../../src/errors/lifecycle-errors.ts';
import { collect, eventually, uniqueQueueName } from './conformance-helpers.ts';
import { AMQP_URL, brokerQueueCounts, destroyQueue, makeDriver, uniqueDriverId } from './amqp/broker-helpers.ts';

const run = promisify(execFile);

/** Tab-separated lines of `rabbitmqctl <what> <columns>`. */
async function rabbitmqctl(what: string, ...columns: string[]): Promise<string[][]> {
  const { stdout } = await run('rabbitmqctl', [what, ...columns, '-q', '--no-table-headers']);
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.split('\t'));
}

// Wippy's driver and consumer fields, honoured on the real broker.
// rabbitmqctl takes seconds on a loaded machine: generous time limits.
describe("amqp driver: Wippy's connection and consumer fields", { timeout: 60_000 }, () => {
  const drivers: AmqpDriver[] = [];
  const queues: string[] = [];

  afterAll(async () => {
    for (const d of drivers) await d.stop().catch(() => undefined);
    for (const q of queues) await destroyQueue(q).catch(() => undefined);
  });

  async function started(overrides: Record<string, unknown> = {}): Promise<AmqpDriver> {
    const d = makeDriver(overrides);
    drivers.push(d);
    await d.start();
    return d;
  }

  async function declared(driver: AmqpDriver, label: string): Promise<string> {
    const name = uniqueQueueName(label);
    queues.push(name);
    await driver.declare({ id: `test:${label}`, name, options: amqpQueueOptionsSchema.parse({}) });
    return name;
  }

  it('connection_name, auth_mechanism AMQPLAIN, frame_size and channel_max reach the broker', async () => {
    const name = uniqueDriverId('named');
    await started({ connection_name: name, auth_mechanism: 'AMQPLAIN', frame_size: 8192, channel_max: 64 });
    const rows = await rabbitmqctl('list_connections', 'client_properties', 'auth_mechanism', 'frame_max', 'channel_max');
    const row = rows.find((r) => r[0]!.includes(`{"connection_name","${name}"}`));
    expect(row?.slice(1)).toEqual(['AMQPLAIN', '8192', '64']);
  });

  it('consumer_tag names the subscription as Wippy does (<tag>-<8 hex>)', async () => {
    const driver = await started();
    const q = await declared(driver, 'tagged');
    const c = driver.consume(q, { consumerId: 'app:worker', maxUnsettled: 5, driverOptions: { consumer_tag: 'worker-1' } });
    c.request(5);
    await eventually(async () => (await rabbitmqctl('list_consumers', 'queue_name', 'consumer_tag')).some((r) => r[0] === q), 30_000, 'consumer attached');
    const tags = (await rabbitmqctl('list_consumers', 'queue_name', 'consumer_tag')).filter((r) => r[0] === q).map((r) => r[1]);
    expect(tags).toEqual([expect.stringMatching(/^worker-1-[0-9a-f]{8}$/)]);
    await c.cancel();
  });

  it('exclusive: the broker refuses a second consumer, which fails with a retryable error naming the queue', async () => {
    const driver = await started();
    const q = await declared(driver, 'exclusive');
    const first = driver.consume(q, { consumerId: 'app:a', maxUnsettled: 5, driverOptions: { exclusive: true } });
    first.request(5);
    await eventually(async () => (await brokerQueueCounts(q))?.consumers === 1, 30_000, 'exclusive consumer attached');
    const second = driver.consume(q, { consumerId: 'app:b', maxUnsettled: 5 });
    const failure = new Promise<unknown>((resolve) => second.deliveries.subscribe({ error: resolve, complete: () => resolve('completed') }));
    second.request(5);
    const error = await failure;
    expect(error).toBeInstanceOf(DriverUnavailableError);
    expect(error).toMatchObject({ code: 'DRIVER_UNAVAILABLE', retryable: true });
    expect((error as Error).message).toContain(`queue ${q} is in exclusive use`);
    // The exclusive one keeps working.
    const got = collect(first, 1);
    await driver.publish(q, [{ id: 'x', body: 1, headers: {} }]);
    const [d] = await got;
    expect(d!.id).toBe('x');
    await first.ack(d!);
    await first.cancel();
  });

  describe('auto_ack (at-most-once: acked as handed out, before any handler)', () => {
    async function autoAcked(label: string): Promise<{ driver: AmqpDriver; q: string; c: Consumption; got: Delivery[] }> {
      const driver = await started();
      const q = await declared(driver, label);
      await driver.publish(q, [1, 2, 3].map((n) => ({ id: `m${n}`, body: n, headers: { k: 'v' } })));
      const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 3, autoAck: true });
      const pending = collect(c, 3);
      c.request(3);
      return { driver, q, c, got: await pending };
    }

    it('the broker holds nothing unacked once deliveries are handed out, and the consumer\'s own ack is a no-op', async () => {
      const { q, c, got } = await autoAcked('auto-ack');
      // Nothing acked by the consumer, yet the broker holds nothing for it.
      await eventually(async () => (await rabbitmqctl('list_queues', 'name', 'messages_unacknowledged', 'messages')).some((r) => r[0] === q && r[1] === '0' && r[2] === '0'), 30_000, 'nothing unacked');
      for (const d of got) await c.ack(d);
      await c.cancel();
      expect(await brokerQueueCounts(q)).toEqual({ messages: 0, consumers: 0 });
    });

    it('a failure still retries (a copy with the new headers) and a release puts a copy back: nothing is lost on a graceful stop', async () => {
      const { driver, q, c, got } = await autoAcked('auto-ack-moves');
      await c.requeue(got[0]!, { ...got[0]!.headers, attempts: 1 });
      await c.release(got.slice(1));
      await c.cancel();
      const again = driver.consume(q, { consumerId: 'c2', maxUnsettled: 5 });
      const back = collect(again, 3);
      again.request(5);
      const ds = await back;
      expect(ds.map((d) => [d.id, d.headers['attempts'], d.headers['k']]).sort()).toEqual([['m1', 1, 'v'], ['m2', undefined, 'v'], ['m3', undefined, 'v']]);
      for (const d of ds) await again.ack(d);
      await again.cancel();
    });
  });
});
