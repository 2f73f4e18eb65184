import { afterAll, describe, expect, it } from 'vitest';
import type { DriverStatusEvent } from '../../src/drivers/driver.ts';
import { eventually, record, uniqueQueueName } from './conformance-helpers.ts';
import { adminClient, deletePrefix, makeDriver, uniquePrefix } from './redis/redis-test-env.ts';

const prefix = uniquePrefix('reconnect');
const msg = (n: number) => ({ id: `m${n}`, body: n, headers: {} });

/**
 * Kills this driver's connections with `CLIENT KILL TYPE <type> ID <id>`:
 * the same as a bare `CLIENT KILL TYPE normal`, scoped (filters are ANDed)
 * so that other test files sharing the server keep their connections.
 */
async function killConnections(driverId: string, type: 'normal' | 'pubsub'): Promise<number> {
  const admin = adminClient();
  try {
    const list = (await admin.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${driverId}:`))
      .map((line) => /(?:^|\s)id=(\d+)/.exec(line)![1]!);
    let killed = 0;
    for (const id of ids) killed += Number(await admin.call('CLIENT', 'KILL', 'TYPE', type, 'ID', id));
    return killed;
  } finally {
    await admin.quit();
  }
}

describe('redis driver: reconnect', { timeout: 20_000 }, () => {
  afterAll(() => deletePrefix(prefix));

  for (const type of ['normal', 'pubsub'] as const) {
    it(`the same consumption keeps receiving after CLIENT KILL TYPE ${type}`, async () => {
      const id = `test:reconnect-${type}-${process.pid}`;
      const driver = makeDriver(prefix, {}, id);
      const events: DriverStatusEvent['type'][] = [];
      driver.status$.subscribe((e) => events.push(e.type));
      await driver.start();
      const q = uniqueQueueName('reconnect');
      await driver.declare({ id: 'test:q', name: q, options: {} });
      try {
        const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 100 });
        const rec = record(c);
        let settled = 0;
        c.deliveries.subscribe((batch) => {
          for (const d of batch) void Promise.resolve(c.ack(d)).then(() => c.request(1), () => {});
          settled += batch.length;
        });
        c.request(100);
        await driver.publish(q, [1, 2, 3].map(msg));
        await eventually(() => rec.items.length === 3, 5000, 'before the kill');

        expect(await killConnections(id, type)).toBe(1);
        await eventually(() => events.includes('reconnecting'), 5000, 'reconnecting');
        // A publish during the outage waits for the machine to reconnect.
        await driver.publish(q, [4, 5, 6].map(msg));
        await eventually(() => rec.items.length === 6, 5000, 'after the kill');
        expect(rec.items.map((d) => d.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
        expect(events.slice(0, 3)).toEqual(['connected', 'reconnecting', 'connected']);
        expect(driver.connection.supervisor.state).toBe('connected');
        await eventually(async () => (await driver.info(q)).message_count === 0, 5000, 'all acked');
        expect(settled).toBe(6);
        rec.stop();
        await c.cancel();
      } finally {
        await driver.stop();
      }
    });
  }

  it('a consumer idle during the outage gets messages published after it', async () => {
    const id = `test:reconnect-idle-${process.pid}`;
    const driver = makeDriver(prefix, {}, id);
    const publisher = makeDriver(prefix, {}, `test:reconnect-pub-${process.pid}`);
    await Promise.all([driver.start(), publisher.start()]);
    const q = uniqueQueueName('reconnect');
    await publisher.declare({ id: 'test:q', name: q, options: {} });
    try {
      const c = driver.consume(q, { consumerId: 'c', maxUnsettled: 10 });
      const rec = record(c);
      c.request(10);
      await killConnections(id, 'normal');
      await killConnections(id, 'pubsub');
      await publisher.publish(q, [msg(1)]);
      await eventually(() => rec.items.length === 1, 5000, 'delivery after reconnect');
      await c.ack(rec.stop()[0]!);
      await c.cancel();
    } finally {
      await driver.stop();
      await publisher.stop();
    }
  });
});
