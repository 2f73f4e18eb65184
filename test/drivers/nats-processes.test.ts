import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { NatsDriver } from '../../src/drivers/nats/nats-driver.ts';
import { natsQueueOptionsSchema } from '../../src/drivers/nats/nats-options.ts';
import { eventually, uniqueQueueName } from './conformance-helpers.ts';
import { destroyQueue, makeDriver, NATS_URL } from './nats/nats-test-env.ts';
import { spawnConsumer, type ConsumerChild } from './nats/spawn-consumer.ts';

/*
 * Several processes on one queue share its durable consumer (competing
 * consumers), and a process killed with messages in hand loses none of
 * them: JetStream hands them to another after ack_wait.
 */
describe('nats driver: processes', { timeout: 90_000 }, () => {
  const children: ConsumerChild[] = [];
  const names: string[] = [];
  const drivers: NatsDriver[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.process.kill('SIGKILL');
      await c.exited;
    }
    for (const d of drivers.splice(0)) await d.stop();
  });
  afterAll(async () => {
    for (const n of names) await destroyQueue(n);
  });

  async function publisher(ackWait: string) {
    const driver = makeDriver();
    drivers.push(driver);
    await driver.start();
    const name = uniqueQueueName('natsproc');
    names.push(name);
    await driver.declare({ id: 'app:q', name, options: natsQueueOptionsSchema.parse({ ack_wait: ackWait }) });
    return { driver, name };
  }

  it('two processes share one consumer: every message handled once, by one of them', async () => {
    const { driver, name } = await publisher('30s');
    const a = spawnConsumer({ url: NATS_URL, queue: name, ackWait: '30s', credit: 10, handlerMs: 2 });
    const b = spawnConsumer({ url: NATS_URL, queue: name, ackWait: '30s', credit: 10, handlerMs: 2 });
    children.push(a, b);
    await Promise.all([a.ready, b.ready]);
    await eventually(async () => (await driver.info(name)).consumer_count === 2, 10_000, 'both attached');
    const total = 300;
    await driver.publish(name, Array.from({ length: total }, (_, i) => ({ id: `m${i}`, body: i, headers: {} })));
    await eventually(() => a.acked.length + b.acked.length === total, 30_000, 'all handled');
    const all = [...a.acked, ...b.acked];
    expect(new Set(all).size).toBe(total);
    expect(a.acked.length).toBeGreaterThan(0);
    expect(b.acked.length).toBeGreaterThan(0);
    await eventually(async () => (await driver.info(name)).message_count === 0, 10_000, 'queue empty');
  });

  it('SIGKILL mid-run: what the killed process held is handled by another after ack_wait; nothing is lost', async () => {
    const { driver, name } = await publisher('2s');
    const total = 40;
    await driver.publish(name, Array.from({ length: total }, (_, i) => ({ id: `m${i}`, body: i, headers: {} })));
    // Holds 5 and never finishes them.
    const stuck = spawnConsumer({ url: NATS_URL, queue: name, ackWait: '2s', credit: 5, handlerMs: 600_000 });
    children.push(stuck);
    await stuck.ready;
    await eventually(() => stuck.got.length === 5, 10_000, 'the stuck process holds 5');
    stuck.process.kill('SIGKILL');
    await stuck.exited;
    const rescuer = spawnConsumer({ url: NATS_URL, queue: name, ackWait: '2s', credit: 10, handlerMs: 1 });
    children.push(rescuer);
    await eventually(() => new Set(rescuer.acked).size === total, 30_000, `all ${total} handled by the survivor`);
    for (const id of stuck.got) expect(rescuer.acked).toContain(id);
    await eventually(async () => (await driver.info(name)).message_count === 0, 10_000, 'queue empty');
  });
});
