import { afterAll, describe, expect, it } from 'vitest';
import { amqpDriverSchema } from '../../src/drivers/amqp/amqp-options.ts';
import { buildConnectArgs } from '../../src/drivers/amqp/connect-options.ts';
import { AmqpSession } from '../../src/drivers/amqp/amqp-session.ts';
import { DelayQueues } from '../../src/drivers/amqp/delay-queues.ts';
import { checkedDelay, delayLevel, delayQueueExpiry, delayQueueName, delayQueueRefreshAfter, MAX_DELAY_MS } from '../../src/drivers/amqp/delay-ladder.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { uniqueQueueName } from './conformance-helpers.ts';
import { AMQP_URL, destroyQueueAndDelays, withRawChannel } from './amqp/broker-helpers.ts';

/** Significant bits of a positive integer (its binary form without trailing zeros). */
const significantBits = (n: number): number => {
  let bits = n;
  while (bits % 2 === 0) bits /= 2;
  return Math.floor(Math.log2(bits)) + 1;
};

describe('delay ladder', () => {
  it('rounds up, never early, less than 1/8 late, onto at most four significant bits', () => {
    const samples = [1, 2, 7, 15, 16, 17, 31, 33, 99, 100, 999, 1000, 1023, 1024, 1025, 1500, 4097, 30_000, 60_001, 300_000, 86_400_000, 2 ** 31 - 1, MAX_DELAY_MS];
    for (let i = 0; i < 2000; i++) samples.push(1 + Math.floor(Math.random() * 10_000_000));
    for (const d of samples) {
      const level = delayLevel(d);
      expect(level).toBeGreaterThanOrEqual(d);
      if (d >= 16) expect(level).toBeLessThan(d * 1.125);
      else expect(level).toBe(d);
      expect(significantBits(level)).toBeLessThanOrEqual(4);
      expect(delayLevel(level)).toBe(level);
    }
    expect([1000, 1024, 1025, 30_000, 300_000].map(delayLevel)).toEqual([1024, 1024, 1152, 30_720, 327_680]);
    expect(delayLevel(0.2)).toBe(1);
    expect(delayLevel(MAX_DELAY_MS)).toBeLessThan(2 ** 32);
  });

  it('names and leases', () => {
    expect(delayQueueName('tasks', 1024)).toBe('tasks.delay.1024');
    // The lease outlives the TTL by ten minutes at least, and the refresh leaves more than the TTL.
    for (const level of [1, 1024, 327_680, MAX_DELAY_MS]) {
      expect(delayQueueExpiry(level)).toBeLessThan(2 ** 32);
      expect(delayQueueExpiry(level) - delayQueueRefreshAfter(level)).toBeGreaterThan(level);
    }
    expect(delayQueueExpiry(1024)).toBe(2048 + 600_000);
  });

  it('checks a delay with an error naming where', () => {
    expect(checkedDelay(undefined, 'here')).toBe(0);
    expect(checkedDelay(0, 'here')).toBe(0);
    expect(checkedDelay(1.2, 'here')).toBe(2);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, MAX_DELAY_MS + 1, '5s' as unknown as number]) {
      expect(() => checkedDelay(bad, 'publish to q')).toThrow(/^publish to q: delay must be a finite number of ms from 0 to 4026531840/);
    }
  });
});

describe('delay queues on the broker: leases', () => {
  const source = uniqueQueueName('delay-lease');
  const sessions: AmqpSession[] = [];
  const open = async () => {
    const args = buildConnectArgs(amqpDriverSchema.parse({ url: AMQP_URL }), 'test:delay-lease');
    const s = await AmqpSession.open(args, 1);
    sessions.push(s);
    return s;
  };
  const exists = (name: string) =>
    withRawChannel(async (ch) => {
      ch.on('error', () => undefined);
      return ch.checkQueue(name).then(
        () => true,
        () => false,
      );
    });

  afterAll(async () => {
    for (const s of sessions) await s.close(0);
    await destroyQueueAndDelays(source);
  });

  it('declares once, again only when the lease may run short, and forgets on reconnect what the broker may have dropped', async () => {
    let now = 1_000_000;
    const queues = new DelayQueues(() => 'test:lease', () => now);
    const session = await open();
    const name = await queues.target(session, source, 1000);
    expect(name).toBe(delayQueueName(source, 1024));
    expect(await exists(name)).toBe(true);

    // Deleted from outside: a use within the lease trusts the earlier declare...
    await withRawChannel((ch) => ch.deleteQueue(name));
    now += delayQueueRefreshAfter(1024) - 1;
    await queues.target(session, source, 1000);
    expect(await exists(name)).toBe(false);
    // ...past the refresh point it declares again, renewing the lease before publishing.
    now += 1;
    await queues.target(session, source, 1000);
    expect(await exists(name)).toBe(true);

    // On reconnect, a level used within its lease is declared again...
    await withRawChannel((ch) => ch.deleteQueue(name));
    await queues.redeclare(session, () => true);
    expect(await exists(name)).toBe(true);
    // ...one of a queue no longer declared, or whose lease ran out, is forgotten.
    await withRawChannel((ch) => ch.deleteQueue(name));
    await queues.redeclare(session, () => false);
    expect(await exists(name)).toBe(false);
    await queues.target(session, source, 1000);
    await withRawChannel((ch) => ch.deleteQueue(name));
    now += delayQueueExpiry(1024) + 1;
    await queues.redeclare(session, () => true);
    expect(await exists(name)).toBe(false);
    expect(await queues.count(session, source)).toBe(0);
  });

  it('a delay queue with other arguments is a config error naming the entry, and a too long name is refused', async () => {
    const session = await open();
    const queues = new DelayQueues(() => 'app:tasks');
    const name = delayQueueName(source, 2048);
    await withRawChannel((ch) => ch.assertQueue(name, { durable: true, arguments: { 'x-message-ttl': 5 } }));
    const err = await queues.target(session, source, 2000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]).toMatchObject({ entryId: 'app:tasks', field: 'queue_name' });
    expect((err as Error).message).toMatch(/delay queue ".*\.delay\.2048" exists on the broker with other arguments \(PRECONDITION_FAILED - inequivalent arg .*delete it and it is declared again/);
    await expect(queues.target(session, 'q'.repeat(250), 1000)).rejects.toThrow(/queue name too long for its delay queue/);
  });
});
