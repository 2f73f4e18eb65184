import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { natsQueueOptionsSchema } from '../../src/drivers/nats/nats-options.ts';
import type { Delivery } from '../../src/drivers/driver.ts';
import { eventually, record, uniqueQueueName } from './conformance-helpers.ts';
import { adminConnection, destroyQueue, makeDriver, NATS_URL } from './nats/nats-test-env.ts';

/*
 * The NATS driver under the runtime: its connection machine in the actor
 * system, and a graceful stop that loses nothing: acks issued before it
 * reach the server, and buffered or unfinished messages go back at once
 * (`nak`), not after ack_wait.
 */
describe('nats driver under the runtime', { timeout: 60_000 }, () => {
  const names: string[] = [];
  const runtimes: Runtime[] = [];
  afterAll(async () => {
    for (const r of runtimes) await r.stop().catch(() => undefined);
    for (const n of names) await destroyQueue(n);
  });

  const runtimeFor = (queue: string, handler: (body: unknown) => Promise<void> | void, consumer = 'concurrency: 2, prefetch: 20') => {
    const yaml = `
namespace: n
entries:
  - { name: d, kind: queue.driver.nats, servers: "${NATS_URL}", lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: n:d, queue_name: ${queue} }
  - { name: c, kind: queue.consumer, queue: n:q, func: n:h, ${consumer}, lifecycle: { auto_start: true } }
`;
    const runtime = createRuntime({ registry: parseConfigText(yaml, '<test>', { extraFunctionIds: ['n:h'] }), functions: { 'n:h': handler }, logger: silentLogger });
    runtimes.push(runtime);
    return runtime;
  };

  it('the connection machine is an actor of the runtime, <driver id>#connection', async () => {
    const q = uniqueQueueName('natsrt');
    names.push(q);
    const runtime = runtimeFor(q, () => undefined);
    await runtime.start();
    const connection = runtime.system.get('n:d#connection');
    expect(connection?.getSnapshot().value).toBe('connected');
    await runtime.stop();
    expect(connection!.getSnapshot().value).toBe('closed');
  });

  it('a stop mid-run loses nothing and leaves nothing waiting for ack_wait', async () => {
    const q = uniqueQueueName('natsgs');
    names.push(q);
    let handled = 0;
    const runtime = runtimeFor(q, async () => {
      await new Promise((r) => setTimeout(r, 20));
      handled++;
    });
    await runtime.start();
    const total = 200;
    await runtime.publishBatch('n:q', Array.from({ length: total }, (_, i) => ({ i })));
    await eventually(() => handled >= 10, 10_000, '10 handled');
    await runtime.stop();
    const done = handled;
    expect(done).toBeLessThan(total);
    const { nc, jsm } = await adminConnection();
    try {
      // Acked before the stop: gone. Everything else: in the stream.
      expect((await jsm.streams.info(q)).state.messages).toBe(total - done);
    } finally {
      await nc.close();
    }
    // And deliverable at once (handed back with `nak`): ack_wait is 30 s.
    const driver = makeDriver();
    await driver.start();
    await driver.declare({ id: 'n:q', name: q, options: natsQueueOptionsSchema.parse({}) });
    const c = driver.consume(q, { consumerId: 'after', maxUnsettled: total });
    const rec = record(c);
    c.request(total);
    await eventually(() => rec.items.length === total - done, 10_000, 'the rest delivered');
    for (const d of rec.stop()) c.ack(d as Delivery);
    await c.cancel();
    await driver.stop();
  });

  it('acks issued right before the driver stops reach the server', async () => {
    const q = uniqueQueueName('natsack');
    names.push(q);
    const driver = makeDriver();
    await driver.start();
    await driver.declare({ id: 'n:a', name: q, options: natsQueueOptionsSchema.parse({}) });
    const n = 100;
    await driver.publish(q, Array.from({ length: n }, (_, i) => ({ id: `m${i}`, body: i, headers: {} })));
    const c = driver.consume(q, { consumerId: 'c', maxUnsettled: n });
    const rec = record(c);
    c.request(n);
    await eventually(() => rec.items.length === n, 5000, 'all delivered');
    for (const d of rec.stop()) c.ack(d);
    await driver.stop(); // the same tick as the acks
    const { nc, jsm } = await adminConnection();
    try {
      expect((await jsm.streams.info(q)).state.messages).toBe(0);
    } finally {
      await nc.close();
    }
  });

  it('messages still held when the driver stops are handed back at once, not after ack_wait', async () => {
    const q = uniqueQueueName('natsheld');
    names.push(q);
    const first = makeDriver();
    await first.start();
    await first.declare({ id: 'n:h', name: q, options: natsQueueOptionsSchema.parse({}) });
    await first.publish(q, Array.from({ length: 5 }, (_, i) => ({ id: `m${i}`, body: i, headers: {} })));
    const held = first.consume(q, { consumerId: 'c', maxUnsettled: 5 });
    const rec = record(held);
    held.request(5);
    await eventually(() => rec.items.length === 5, 5000, 'all held');
    await first.stop(); // nobody settled them
    const second = makeDriver();
    await second.start();
    await second.declare({ id: 'n:h', name: q, options: natsQueueOptionsSchema.parse({}) });
    const c = second.consume(q, { consumerId: 'c', maxUnsettled: 5 });
    const again = record(c);
    c.request(5);
    await eventually(() => again.items.length === 5, 10_000, 'handed back (ack_wait is 30 s)');
    for (const d of again.stop()) c.ack(d);
    await c.cancel();
    await second.stop();
  });

  it('a batch larger than the publish window is stored whole and in order; a message over the server limit is refused, naming it', async () => {
    const q = uniqueQueueName('natsbatch');
    names.push(q);
    const driver = makeDriver();
    await driver.start();
    try {
      await driver.declare({ id: 'n:b', name: q, options: natsQueueOptionsSchema.parse({}) });
      const n = 3000;
      await driver.publish(q, Array.from({ length: n }, (_, i) => ({ id: `m${i}`, body: i, headers: {} })));
      const c = driver.consume(q, { consumerId: 'c', maxUnsettled: n });
      const rec = record(c);
      c.request(n);
      await eventually(() => rec.items.length === n, 20_000, 'the whole batch');
      expect(rec.items.map((d) => d.body)).toEqual(Array.from({ length: n }, (_, i) => i));
      for (const d of rec.stop()) c.ack(d);
      await c.cancel();
      // The server's max_payload (1 MiB by default) is below actorq's largest message size.
      const big = 'x'.repeat(2 * 1024 * 1024);
      await expect(driver.publish(q, [{ id: 'big', body: big, headers: {} }])).rejects.toMatchObject({ code: 'PUBLISH_REJECTED', message: expect.stringContaining('big') });
    } finally {
      await driver.stop();
    }
  });
});
