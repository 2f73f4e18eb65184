import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { AmqpDriver } from '../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../src/drivers/amqp/amqp-options.ts';
import type { Consumption, Delivery } from '../../src/drivers/driver.ts';
import { DriverUnavailableError } from '../../src/errors/lifecycle-errors.ts';
import { collect, eventually, uniqueQueueName } from './conformance-helpers.ts';
import { AMQP_URL, brokerQueueCounts, destroyQueue, makeDriver, uniqueDriverId } from './amqp/broker-helpers.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { consumerDriverSettings } from '../../src/kinds/consumer-options.ts';
import { amqpDriverKind } from '../../src/drivers/amqp/amqp-kind.ts';
import { builtinKinds } from '../../src/kinds/builtin-kinds.ts';
import type { ConsumerEntry } from '../../src/config/entry-types.ts';

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

  describe('through the runtime: the consumer entry\'s auto_ack and driver_options reach the driver', () => {
    const consumer = (extra: Record<string, unknown>) => ({ id: 'app:worker', file: 'app.yaml', line: 7, auto_ack: false, ...extra }) as unknown as ConsumerEntry;

    it('are checked against the kind of the queue\'s driver: auto_ack only where honoured, options by its schema', () => {
      const memory = builtinKinds.drivers.get('queue.driver.memory')!;
      expect(() => consumerDriverSettings(consumer({ auto_ack: true }), memory)).toThrow(ConfigError);
      expect(() => consumerDriverSettings(consumer({ auto_ack: true }), memory)).toThrow(
        'app.yaml:7: entry app:worker field auto_ack: auto_ack: true is not supported by queue.driver.memory (it acks after the handler, at least once); remove it',
      );
      expect(consumerDriverSettings(consumer({ auto_ack: true, driver_options: { amqp: { consumer_tag: 't' } } }), amqpDriverKind)).toEqual({
        autoAck: true, driverOptions: { consumer_tag: 't', exclusive: false, no_local: false, no_wait: false },
      });
      expect(() => consumerDriverSettings(consumer({ driver_options: { amqp: { exclusive: 'yes' } } }), amqpDriverKind)).toThrow(/field driver_options\.amqp\.exclusive: /);
      // Another driver's section is not this kind's business.
      expect(consumerDriverSettings(consumer({ driver_options: { sqs: { wait_time: 5 } } }), amqpDriverKind)).toEqual({ autoAck: false });
    });

    it('auto_ack and consumer_tag from YAML: the broker holds nothing unacked while the handler still runs', async () => {
      const q = uniqueQueueName('rt-auto-ack');
      queues.push(q);
      const yaml = `
namespace: app
entries:
  - { name: rabbit, kind: queue.driver.amqp, url: "${AMQP_URL}", reconnect_delay: 100ms, lifecycle: { auto_start: true } }
  - { name: tasks, kind: queue.queue, driver: app:rabbit, queue_name: ${q} }
  - name: worker
    kind: queue.consumer
    queue: app:tasks
    func: app:handler
    auto_ack: true
    driver_options: { amqp: { consumer_tag: rt-worker, exclusive: true } }
    lifecycle: { auto_start: true }
`;
      let release!: () => void;
      const blocked = new Promise<void>((r) => (release = r));
      let started = 0;
      const runtime = createRuntime({
        registry: parseConfigText(yaml, '<inline>', { extraFunctionIds: ['app:handler'] }),
        logger: silentLogger,
        functions: { 'app:handler': async () => void (started++, await blocked) },
      });
      await runtime.start();
      try {
        await runtime.publish('app:tasks', { n: 1 });
        await eventually(() => started === 1, 10_000, 'handler running');
        const rows = await rabbitmqctl('list_queues', 'name', 'messages_unacknowledged', 'messages');
        expect(rows.find((r) => r[0] === q)?.slice(1)).toEqual(['0', '0']);
        const tags = (await rabbitmqctl('list_consumers', 'queue_name', 'consumer_tag')).filter((r) => r[0] === q).map((r) => r[1]);
        expect(tags).toEqual([expect.stringMatching(/^rt-worker-[0-9a-f]{8}$/)]);
      } finally {
        release();
        await runtime.stop();
      }
    });
  });
});
