import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../../src/drivers/memory/memory-driver.ts';
import { adminClient, deletePrefix, makeDriver as makeRedisDriver, uniquePrefix } from '../drivers/redis/redis-test-env.ts';
import { destroyQueueAndDelays, makeDriver as makeAmqpDriver, withRawChannel } from '../drivers/amqp/broker-helpers.ts';
import { queueKeys } from '../../src/drivers/redis/redis-keys.ts';
import { describeQueueAdmin, ids, msg, type AdminTarget } from './queue-admin-suite.ts';

// The admin tools of the memory, Redis and AMQP drivers, against the real
// backends (memory in process, Redis and RabbitMQ on loopback). Other
// drivers run the same suite from their own files.

const redisPrefix = uniquePrefix('admin');
const TARGETS: AdminTarget[] = [
  { label: 'memory', create: () => new MemoryDriver('test:memory'), destroy: async () => undefined, canGoMidVisit: true },
  {
    label: 'redis',
    create: () => makeRedisDriver(redisPrefix),
    destroy: () => deletePrefix(redisPrefix),
    storeForeign: async (queue, text) => {
      const client = adminClient();
      await client.rpush(queueKeys(redisPrefix, queue).ready, text);
      await client.quit();
    },
    canGoMidVisit: true,
  },
  {
    label: 'amqp',
    create: () => makeAmqpDriver(),
    destroy: async (names) => {
      for (const n of names) await destroyQueueAndDelays(n, 10_000);
    },
    storeForeign: (queue, text) =>
      withRawChannel(async (ch) => {
        ch.sendToQueue(queue, Buffer.from(text));
        await ch.waitForConfirms();
      }),
    canGoMidVisit: false,
  },
];

for (const target of TARGETS) describeQueueAdmin(target);

describe('memory driver admin and waiting publishers', () => {
  it('purge and removals make room for a publisher waiting on a full queue', async () => {
    const driver = new MemoryDriver('test:memory');
    await driver.start();
    await driver.declare({ id: 'test:q', name: 'q', options: { max_length: 2 } });
    await driver.publish('q', [msg(1), msg(2)]);
    let admitted = false;
    const waiting = driver.publish('q', [msg(3)]).then(() => (admitted = true));
    await new Promise((r) => setImmediate(r));
    expect(admitted).toBe(false);
    expect(await driver.admin.purge('q')).toBe(2);
    await waiting;
    expect((await driver.info('q')).ready).toBe(1);
    await driver.publish('q', [msg(4)]);
    const late = driver.publish('q', [msg(5)]);
    await driver.admin.removeEach('q', 1, async () => 'remove');
    await late;
    expect(ids(await driver.admin.peek('q', 10))).toEqual(['m4', 'm5']);
    await driver.stop();
  });
});
