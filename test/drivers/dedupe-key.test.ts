import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFauxqs } from '../support/fauxqs-server.ts';
import { deleteQueue, makeDriver as makeSqsDriver } from './sqs/sqs-test-env.ts';
import { destroyQueue, makeDriver as makeNatsDriver } from './nats/nats-test-env.ts';
import { eventually, sleep, uniqueQueueName } from './conformance-helpers.ts';
import type { Delivery, Driver } from '../../src/drivers/driver.ts';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { InvalidMessageError } from '../../src/errors/message-errors.ts';

// Backends that drop a second publish of the same message ID within a
// window (JetStream `Nats-Msg-Id`, SQS FIFO deduplication) compare a
// publish's `dedupeKey` instead when it has one: a new copy under an old
// ID (a dead-letter replay) is stored, and the same key twice still once.

const fauxqs = await startFauxqs();
afterAll(() => fauxqs.stop());

interface Backend {
  readonly label: string;
  make(): Driver;
  queueName(): string;
  destroy(name: string): Promise<void>;
  /** Headers a message on this backend's queue needs (a FIFO group). */
  readonly headers: Record<string, string>;
}

const BACKENDS: Backend[] = [
  { label: 'nats', make: () => makeNatsDriver(), queueName: () => uniqueQueueName('dedupe-nats'), destroy: (n) => destroyQueue(n), headers: {} },
  {
    label: 'sqs fifo',
    make: () => makeSqsDriver(fauxqs.endpoint, { wait_time_seconds: 1 }, 'test:sqs-dedupe'),
    queueName: () => `${uniqueQueueName('dedupe-sqs')}.fifo`,
    destroy: (n) => deleteQueue(fauxqs.endpoint, n),
    headers: { 'sqs.message_group_id': 'g' },
  },
];

for (const backend of BACKENDS) {
  describe(`${backend.label}: dedupeKey`, { timeout: 30_000 }, () => {
    let driver: Driver;
    let name: string;
    beforeAll(async () => {
      driver = backend.make();
      await driver.start();
      name = backend.queueName();
      await driver.declare({ id: `test:${name}`, name, options: {} });
    });
    afterAll(async () => {
      await driver.stop();
      await backend.destroy(name);
    });

    it('stores a copy under the same ID when it has a key of its own, and a repeated key once', async () => {
      const message = { id: 'same-id', body: { n: 1 }, headers: { ...backend.headers } };
      await driver.publish(name, [message]);
      await driver.publish(name, [message]); // same ID, no key: the backend drops it
      await driver.publish(name, [{ ...message, body: { n: 2 } }], { dedupeKey: 'same-id~replay~1' });
      await driver.publish(name, [{ ...message, body: { n: 3 } }], { dedupeKey: 'same-id~replay~1' }); // same key: dropped
      const c = driver.consume(name, { consumerId: 'test:c', maxUnsettled: 10 });
      const got: Delivery[] = [];
      // Acked as they come: a FIFO queue hands out no more of a group while one is held.
      const sub = c.deliveries.subscribe((batch) => {
        got.push(...batch);
        for (const d of batch) void c.ack(d);
      });
      c.request(10);
      await eventually(async () => got.length >= 2, 10_000, 'two deliveries');
      await sleep(2000); // anything else stored would have arrived by now
      sub.unsubscribe();
      expect(got.map((d) => [d.id, d.body])).toEqual([
        ['same-id', { n: 1 }],
        ['same-id', { n: 2 }],
      ]);
      await c.cancel();
    });

    it('refuses a key for more than one message', async () => {
      const m = (id: string) => ({ id, body: 1, headers: { ...backend.headers } });
      await expect(driver.publish(name, [m('a'), m('b')], { dedupeKey: 'k' })).rejects.toBeInstanceOf(InvalidMessageError);
    });
  });
}

describe('runtime publish: dedupeKey', () => {
  const runtime = createRuntime({
    registry: parseConfigText('namespace: app\nentries:\n  - { name: mem, kind: queue.driver.memory, lifecycle: { auto_start: true } }\n  - { name: q, kind: queue.queue, driver: app:mem }\n', '<inline>'),
    logger: silentLogger,
  });
  beforeAll(() => runtime.start());
  afterAll(() => runtime.stop());

  it('is refused on publishBatch and when not a non-empty string, with the queue named', async () => {
    await expect(runtime.publishBatch('app:q', [1, 2], { dedupeKey: 'k' })).rejects.toThrow(/publish to app:q: dedupeKey is only for single publishes/);
    await expect(runtime.publish('app:q', 1, { dedupeKey: '' })).rejects.toThrow(/publish to app:q: dedupeKey must be a non-empty string/);
    await expect(runtime.publish('app:q', 1, { dedupeKey: 5 as never })).rejects.toBeInstanceOf(InvalidMessageError);
    expect((await runtime.info('app:q')).ready).toBe(0);
  });

  it('is passed on to the driver, with a delay too, and ignored where the backend keeps every publish', async () => {
    await runtime.publish('app:q', 1, { id: 'x', dedupeKey: 'k1' });
    await runtime.publish('app:q', 2, { id: 'x', dedupeKey: 'k1', delay: 1 });
    await sleep(20);
    expect((await runtime.info('app:q')).ready).toBe(2);
  });
});
