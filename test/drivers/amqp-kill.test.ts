import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import type { AmqpDriver } from '../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../src/drivers/amqp/amqp-options.ts';
import { collect, eventually, uniqueQueueName } from './conformance-helpers.ts';
import { AMQP_URL, destroyQueue, makeDriver } from './amqp/broker-helpers.ts';

describe('amqp consumer process killed with SIGKILL', () => {
  const queue = uniqueQueueName('kill');
  let driver: AmqpDriver | undefined;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    child?.kill('SIGKILL');
    await driver?.stop();
    await destroyQueue(queue).catch(() => undefined);
  });

  it('loses nothing: its unacked messages are redelivered to another consumer', async () => {
    driver = makeDriver();
    await driver.start();
    await driver.declare({ id: 'test:kill', name: queue, options: amqpQueueOptionsSchema.parse({}) });
    const total = 12;
    await driver.publish(queue, Array.from({ length: total }, (_, i) => ({ id: `k${i}`, body: { i }, headers: {} })));

    // The child takes 5 messages and "handles" them forever (never settles).
    child = spawn(process.execPath, ['--import', 'tsx', 'test/drivers/amqp/consumer-child.ts', AMQP_URL, queue, '5'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const inChild: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('got ')) inChild.push(line.slice(4));
    });
    await eventually(() => inChild.length === 5, 15_000, 'child to hold 5 messages');
    expect((await driver.info(queue)).ready).toBe(total - 5);

    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const c = driver.consume(queue, { consumerId: 'survivor', maxUnsettled: 20 });
    const got = collect(c, total, 10_000);
    c.request(total);
    const ds = await got;
    expect(ds.map((d) => d.id).sort()).toEqual(Array.from({ length: total }, (_, i) => `k${i}`).sort());
    // Every message the killed child held is among them.
    for (const id of inChild) expect(ds.some((d) => d.id === id)).toBe(true);
    for (const d of ds) await c.ack(d);
    await eventually(async () => (await driver!.info(queue)).message_count === 0, 5000, 'queue empty');
    await c.cancel();
  }, 30_000);
});
