import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import { redisDriverOptionsSchema } from '../../src/drivers/redis/redis-kind.ts';
import type { RedisDelivery } from '../../src/drivers/redis/redis-delivery.ts';
import type { Runtime } from '../../src/runtime/create-runtime.ts';
import { recordingLogger, runtimeOf, until } from '../support/runtime-kit.ts';
import { startRedisServer, type RedisServer } from '../support/redis-server.ts';
import { collect } from './conformance-helpers.ts';

/*
 * Restarts of a private redis-server (own loopback port and directory; the
 * shared server is never touched) under load. Without persistence the
 * server comes back empty, as after a failover to an empty replica: the
 * driver must declare its queues and register its consumers again by
 * itself. With AOF (appendfsync always) nothing acknowledged may be lost.
 */

/** Messages accepted and not yet handled that the publisher keeps up. */
const BACKLOG = 1000;

const yaml = (url: string) => `
namespace: t
entries:
  - name: d
    kind: queue.driver.redis
    url: ${url}
    reconnect_delay: 50ms
    reconnect_max_delay: 300ms
    publish_timeout: 20s
    lifecycle: { auto_start: true }
  - name: q
    kind: queue.queue
    driver: t:d
    dead_letter: { queue: t:dlq, max_attempts: 3 }
    driver_options: { redis: { visibility_timeout: 2s } }
  - { name: dlq, kind: queue.queue, driver: t:d }
  - name: c
    kind: queue.consumer
    queue: t:q
    func: t:h
    concurrency: 4
    prefetch: 20
    lifecycle: { auto_start: true, stop_timeout: 5s }
`;

describe('redis server restart', { timeout: 60_000 }, () => {
  let server: RedisServer | undefined;
  let runtime: Runtime | undefined;
  afterEach(async () => {
    try {
      // Bounded, so a runtime that cannot stop still lets the private server go.
      await Promise.race([runtime?.stop().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
    } finally {
      runtime = undefined;
      await server?.stop();
      server = undefined;
    }
  }, 30_000);

  for (const aof of [false, true]) {
    it(`${aof ? 'with AOF' : 'without persistence'}: publishing and consuming resume by themselves${aof ? ', nothing acknowledged is lost' : ''}`, async () => {
      server = await startRedisServer({ aof });
      const handled = new Set<number>();
      const logger = recordingLogger();
      // A handler slower than the publisher, so a backlog waits in Redis and in the consumer when the server dies.
      const handler = async (body: { n: number }) => {
        await new Promise((r) => setTimeout(r, 1));
        handled.add(body.n);
      };
      runtime = runtimeOf(yaml(server.url), { 't:h': handler }, logger);
      await runtime.start();
      const rt = runtime;

      // Publisher under load: batches of 20 back to back while the backlog
      // is under BACKLOG; failures (the outage) are counted and it goes on.
      const accepted: number[] = [];
      let next = 0;
      let publishing = true;
      let failures = 0;
      const publisher = (async () => {
        while (publishing) {
          if (accepted.length - handled.size >= BACKLOG) {
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
          const ns = Array.from({ length: 20 }, () => next++);
          try {
            await rt.publishBatch('t:q', ns.map((n) => ({ n })));
            accepted.push(...ns);
          } catch {
            failures++;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      })();
      await until(() => handled.size >= 500 && accepted.length - handled.size >= BACKLOG / 2, 'load and a backlog before the restart', 10_000);

      await server.kill();
      // While Redis is down, health says so: the driver is reconnecting and info() fails, retryably.
      await until(async () => (await rt.metrics()).entries.find((e) => e.id === 't:d')?.state.includes('reconnecting') ?? false, 'driver reconnecting');
      const down = await rt.info('t:q').then(() => undefined, (e: unknown) => e);
      expect(down).toMatchObject({ code: 'DRIVER_UNAVAILABLE', retryable: true });
      expect((down as Error).message).toMatch(/queue .* cannot be used until it is connected/);

      await server.restart();
      const firstAfter = next;
      await until(() => accepted.some((n) => n >= firstAfter + 500), 'publishing after the restart', 20_000);
      await until(() => [...handled].filter((n) => n >= firstAfter).length >= 500, 'consuming after the restart', 20_000);
      publishing = false;
      await publisher;

      // Everything accepted after the restart is handled; with AOF everything accepted at all.
      const mustHandle = aof ? accepted : accepted.filter((n) => n >= firstAfter);
      await until(() => mustHandle.every((n) => handled.has(n)), `${mustHandle.length} accepted messages handled`, 20_000);
      await until(async () => (await rt.info('t:q')).message_count === 0, 'queue drained');
      expect((await rt.metrics()).entries.find((e) => e.id === 't:d')?.state).toMatch(/connected/);
      expect(await rt.info('t:dlq')).toMatchObject({ ready: 0 });
      // Only a server that came back empty needed its queues declared again (both of them).
      const redeclared = logger.records.filter((r) => r.message.includes('declared it again')).map((r) => r.fields?.['queue']);
      expect(redeclared.sort()).toEqual(aof ? [] : ['dlq', 'q']);
    });
  }

  it('a token handed out before the server lost its data is never issued again', async () => {
    server = await startRedisServer();
    const driver = new RedisDriver('test:tokens', redisDriverOptionsSchema.parse({ url: server.url, reconnect_delay: 50, reconnect_max_delay: 300 }));
    await driver.start();
    try {
      await driver.declare({ id: 'test:q', name: 'q', options: {} });
      const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 10 });
      const first = collect(c, 3);
      c.request(3);
      await driver.publish('q', [1, 2, 3].map((n) => ({ id: `old${n}`, body: n, headers: {} })));
      const old = (await first) as RedisDelivery[];

      await server.restart(); // comes back empty; the old deliveries are still held by the handler
      await driver.publish('q', [{ id: 'new', body: 4, headers: {} }]);
      const fresh = collect(c, 1);
      c.request(1);
      const [d] = (await fresh) as RedisDelivery[];
      expect(old.map((o) => o.token)).not.toContain(d!.token);
      // Late acks of the old deliveries must not touch the new one: its requeue still finds it.
      for (const o of old) await c.ack(o);
      await c.requeue(d!, { attempts: 1 });
      expect(await driver.info('q')).toMatchObject({ ready: 1, in_flight: 0 });
      await c.cancel();
    } finally {
      await driver.stop();
    }
  });

  it('a queue lost while the connection stayed up is declared again, not reported missing', async () => {
    server = await startRedisServer();
    const driver = new RedisDriver('test:flush', redisDriverOptionsSchema.parse({ url: server.url }));
    const admin = new Redis(server.url);
    await driver.start();
    try {
      await driver.declare({ id: 'test:q', name: 'q', options: { max_length: 5, on_full: 'fail' } });
      await admin.flushall();
      await driver.publish('q', [{ id: 'm1', body: 1, headers: {} }]);
      expect(await driver.info('q')).toMatchObject({ ready: 1 });
      await admin.flushall();
      expect(await driver.info('q')).toMatchObject({ ready: 0 });
      // Restored with its options, not a bare meta.
      expect(await admin.hget('actorq:{q}:meta', 'max_length')).toBe('5');
    } finally {
      await admin.quit();
      await driver.stop();
    }
  });

  it('a queue whose key another program took over is refused clearly and does not keep the others offline', async () => {
    server = await startRedisServer();
    const logger = recordingLogger();
    const driver = new RedisDriver('test:clash', redisDriverOptionsSchema.parse({ url: server.url, reconnect_delay: 50, reconnect_max_delay: 300 }), { logger });
    const admin = new Redis(server.url);
    await driver.start();
    try {
      await admin.set('actorq:{taken}:meta', 'not a hash');
      await expect(driver.declare({ id: 'test:taken', name: 'taken', options: {} })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/entry test:taken field queue_name: redis refused to declare queue "taken": WRONGTYPE/),
      });

      await driver.declare({ id: 'test:a', name: 'a', options: {} });
      await driver.declare({ id: 'test:b', name: 'b', options: {} });
      await admin.flushall();
      await admin.set('actorq:{a}:meta', 'not a hash');
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'); // the driver reconnects to a server without its queues
      await until(() => logger.records.some((r) => r.fields?.['queue'] === 'b' && r.message.includes('declared it again')), 'b restored');
      expect(logger.records.find((r) => r.level === 'error' && r.fields?.['queue'] === 'a')?.message).toMatch(/refused to restore/);
      expect(driver.connection.supervisor.state).toBe('connected');
      await driver.publish('b', [{ id: 'm1', body: 1, headers: {} }]);
      expect(await driver.info('b')).toMatchObject({ ready: 1 });
    } finally {
      await admin.quit();
      await driver.stop();
    }
  });
});
