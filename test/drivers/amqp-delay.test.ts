import { afterAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { AmqpDriver } from '../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../src/drivers/amqp/amqp-options.ts';
import { delayLevel, delayQueueArguments, delayQueueName } from '../../src/drivers/amqp/delay-ladder.ts';
import type { Consumption, Delivery } from '../../src/drivers/driver.ts';
import type { Headers, Message } from '../../src/message/message.ts';
import { InvalidMessageError } from '../../src/errors/message-errors.ts';
import { eventually, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { AMQP_URL, destroyQueueAndDelays, makeDriver, withRawChannel } from './amqp/broker-helpers.ts';

const msg = (id: string, headers: Headers = {}): Message => ({ id, body: { id }, headers });
/** Slack for a busy machine on top of the level's rounding; lower bounds are exact. */
const SLACK_MS = 3000;
const latest = (delayMs: number) => delayLevel(delayMs) + SLACK_MS;

/** Arrival time (ms since the epoch) of each delivery, by ID, in arrival order. */
function arrivals(c: Consumption): { readonly at: Map<string, number>; readonly order: string[]; readonly items: Delivery[] } {
  const at = new Map<string, number>();
  const order: string[] = [];
  const items: Delivery[] = [];
  c.deliveries.subscribe((batch) => {
    const now = Date.now();
    for (const d of batch) {
      if (!at.has(d.id)) at.set(d.id, now);
      order.push(d.id);
      items.push(d);
    }
  });
  return { at, order, items };
}

/** Ready count of a queue seen from outside the driver, `undefined` if it does not exist. */
async function rawCount(name: string): Promise<number | undefined> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    return (await ch.checkQueue(name)).messageCount;
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

describe('amqp delayed delivery and retry backoff', () => {
  const drivers: AmqpDriver[] = [];
  const queues: string[] = [];
  const setup = async (label: string) => {
    const driver = makeDriver();
    drivers.push(driver);
    await driver.start();
    const name = uniqueQueueName(label);
    queues.push(name);
    await driver.declare({ id: `test:${label}`, name, options: amqpQueueOptionsSchema.parse({}) });
    return { driver, name };
  };

  afterAll(async () => {
    for (const d of drivers) await d.stop();
    for (const q of queues) await destroyQueueAndDelays(q).catch(() => undefined);
  });

  it('a delayed publish is not delivered early, and what is published after it comes first', async () => {
    const { driver, name } = await setup('delay-publish');
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 10 });
    const seen = arrivals(c);
    c.request(10);
    const t0 = Date.now();
    await driver.publish(name, [msg('later')], { delayMs: 1500 });
    await driver.publish(name, [msg('now')]);
    await eventually(() => seen.at.has('now'), 1400, 'the immediate message while the delayed one waits');
    expect(seen.at.has('later')).toBe(false);
    const info = await driver.info(name);
    expect(info).toMatchObject({ ready: 0, delayed: 1 });
    await eventually(() => seen.at.has('later'), latest(1500) + 1000, 'the delayed message');
    expect(seen.at.get('later')! - t0).toBeGreaterThanOrEqual(1500);
    expect(seen.at.get('later')! - t0).toBeLessThanOrEqual(latest(1500));
    expect(seen.order).toEqual(['now', 'later']);
    for (const d of seen.items) c.ack(d);
    await eventually(async () => (await driver.info(name)).delayed === 0, 2000, 'nothing delayed');
    await c.cancel();
  }, 20_000);

  it('different delays never block each other: a long one published first does not hold a short one', async () => {
    const { driver, name } = await setup('delay-mix');
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 10 });
    const seen = arrivals(c);
    c.request(10);
    const t0 = Date.now();
    await driver.publish(name, [msg('long-1'), msg('long-2')], { delayMs: 3000 });
    await driver.publish(name, [msg('short')], { delayMs: 600 });
    // The driver header amqp.x_delay means the same as the option.
    await driver.publish(name, [msg('header', { 'amqp.x_delay': 1200 })]);
    await driver.publish(name, [msg('now')]);
    expect((await driver.info(name)).delayed).toBe(4);
    await eventually(() => seen.at.size === 5, latest(3000) + 1000, 'all five');
    expect(seen.order).toEqual(['now', 'short', 'header', 'long-1', 'long-2']);
    const after = (id: string) => seen.at.get(id)! - t0;
    expect(after('short')).toBeGreaterThanOrEqual(600);
    expect(after('header')).toBeGreaterThanOrEqual(1200);
    expect(after('long-1')).toBeGreaterThanOrEqual(3000);
    expect(after('short')).toBeLessThan(3000);
    expect(after('header')).toBeLessThan(3000);
    // Levels are whole queues: a delay rounds up to its level (never early, < 1/8 late).
    expect(await rawCount(delayQueueName(name, delayLevel(600)))).toBe(0);
    expect(await rawCount(delayQueueName(name, delayLevel(3000)))).toBe(0);
    for (const d of seen.items) c.ack(d);
    await c.cancel();
  }, 20_000);

  it('a mixed batch: the larger of the publish delay and a message header wins, immediate ones go at once', async () => {
    const { driver, name } = await setup('delay-batch');
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 10 });
    const seen = arrivals(c);
    c.request(10);
    const t0 = Date.now();
    await driver.publish(name, [msg('a'), msg('b', { 'amqp.x_delay': 2000 }), msg('c')], { delayMs: 0 });
    await driver.publish(name, [msg('d', { 'amqp.x_delay': 100 })], { delayMs: 900 });
    await eventually(() => seen.at.size === 4, latest(2000) + 1000, 'all four');
    expect(seen.order).toEqual(['a', 'c', 'd', 'b']);
    expect(seen.at.get('d')! - t0).toBeGreaterThanOrEqual(900);
    expect(seen.at.get('b')! - t0).toBeGreaterThanOrEqual(2000);
    expect(seen.at.get('a')! - t0).toBeLessThan(900);
    for (const d of seen.items) c.ack(d);
    await c.cancel();
  }, 20_000);

  it('requeue with a delay: the next attempt comes no earlier than the delay, others are handled meanwhile without credit held', async () => {
    const { driver, name } = await setup('delay-requeue');
    // A window of one: a waiting retry must not hold it.
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 1 });
    const seen = arrivals(c);
    c.request(1);
    await driver.publish(name, [msg('retry-me', { attempts: 0, keep: 'yes' })]);
    await eventually(() => seen.items.length === 1, 5000, 'first attempt');
    const first = seen.items[0]!;
    const requeuedAt = Date.now();
    await c.requeue(first, { ...first.headers, attempts: 1 }, 1000);
    expect(await driver.info(name)).toMatchObject({ ready: 0, in_flight: 0, delayed: 1 });
    c.request(1);
    await driver.publish(name, [msg('other')]);
    await eventually(() => seen.order.includes('other'), 900, 'another message during the backoff');
    c.ack(seen.items[1]!);
    c.request(1);
    await eventually(() => seen.items.length === 3, latest(1000) + 1000, 'second attempt');
    const second = seen.items[2]!;
    expect(second.id).toBe('retry-me');
    expect(second.headers).toMatchObject({ attempts: 1, keep: 'yes' });
    const gap = Date.now() - requeuedAt;
    expect(gap).toBeGreaterThanOrEqual(1000);
    expect(gap).toBeLessThanOrEqual(latest(1000));
    c.ack(second);
    await eventually(async () => (await driver.info(name)).message_count === 0, 3000, 'queue empty');
    expect((await driver.info(name)).delayed).toBe(0);
    await c.cancel();
  }, 20_000);

  it('a per-message expiration does not cut a delay short, and the handler still sees it', async () => {
    const { driver, name } = await setup('delay-expiration');
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 10 });
    const seen = arrivals(c);
    c.request(10);
    const t0 = Date.now();
    await driver.publish(name, [msg('exp', { 'amqp.expiration': 200 })], { delayMs: 1000 });
    await eventually(() => seen.at.has('exp'), latest(1000) + 1000, 'the delayed message');
    expect(seen.at.get('exp')! - t0).toBeGreaterThanOrEqual(1000);
    expect(seen.items[0]!.headers['amqp.expiration']).toBe('200');
    c.ack(seen.items[0]!);
    await c.cancel();
  }, 15_000);

  it('info().delayed sums every level of the queue, not of other queues', async () => {
    const { driver, name } = await setup('delay-info');
    const { name: other } = await (async () => {
      const n = uniqueQueueName('delay-info-other');
      queues.push(n);
      await driver.declare({ id: 'test:other', name: n, options: amqpQueueOptionsSchema.parse({}) });
      return { name: n };
    })();
    await driver.publish(name, [msg('a'), msg('b'), msg('c')], { delayMs: 20_000 });
    await driver.publish(name, [msg('d'), msg('e')], { delayMs: 40_000 });
    await driver.publish(name, [msg('f')]);
    await driver.publish(other, [msg('x')], { delayMs: 20_000 });
    expect(await driver.info(name)).toMatchObject({ ready: 1, in_flight: 0, delayed: 5, message_count: 1 });
    expect(await driver.info(other)).toMatchObject({ ready: 0, delayed: 1 });
    // A level deleted behind the driver's back counts 0 (and is forgotten), not an error.
    await withRawChannel((ch) => ch.deleteQueue(delayQueueName(name, delayLevel(40_000))));
    expect((await driver.info(name)).delayed).toBe(3);
  }, 15_000);

  it('refuses a bad delay before storing or moving anything', async () => {
    const { driver, name } = await setup('delay-bad');
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 5e9]) {
      await expect(driver.publish(name, [msg('x')], { delayMs: bad })).rejects.toThrow(InvalidMessageError);
    }
    await expect(driver.publish(name, [msg('x')], { delayMs: -1 })).rejects.toThrow(/publish to actorq-test-delay-bad.*delay must be a finite number of ms from 0/);
    expect(await driver.info(name)).toMatchObject({ ready: 0, delayed: 0 });
    await driver.publish(name, [msg('held')]);
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 1 });
    const seen = arrivals(c);
    c.request(1);
    await eventually(() => seen.items.length === 1, 5000, 'delivery');
    await expect(c.requeue(seen.items[0]!, {}, -5)).rejects.toThrow(/requeue of message held on .*delay must be/);
    // Still in flight: it can be settled normally.
    expect(await driver.info(name)).toMatchObject({ in_flight: 1, delayed: 0 });
    c.ack(seen.items[0]!);
    await eventually(async () => (await driver.info(name)).message_count === 0, 3000, 'acked');
    await c.cancel();
  }, 15_000);

  it('delay queues have predictable names and arguments, are declared idempotently, and come back when deleted', async () => {
    const { driver, name } = await setup('delay-declare');
    await driver.publish(name, [msg('a')], { delayMs: 1000 });
    const level = delayQueueName(name, 1024);
    expect(await rawCount(level)).toBe(1);
    // Anyone declaring it with the documented arguments agrees with the driver (no PRECONDITION_FAILED).
    const args = delayQueueArguments(name, 1024);
    expect(args.arguments).toEqual({ 'x-message-ttl': 1024, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': name, 'x-expires': 2 * 1024 + 600_000 });
    await withRawChannel((ch) => ch.assertQueue(level, args));
    // A second driver using the same level declares the same queue.
    const second = makeDriver();
    drivers.push(second);
    await second.start();
    await second.declare({ id: 'test:delay-declare', name, options: amqpQueueOptionsSchema.parse({}) });
    await second.publish(name, [msg('b')], { delayMs: 1000 });
    expect(await rawCount(level)).toBe(2);
    // Deleted behind the driver's back (its two messages with it): the next use declares it again.
    await withRawChannel((ch) => ch.deleteQueue(level));
    await driver.publish(name, [msg('c')], { delayMs: 1000 });
    expect(await rawCount(level)).toBe(1);
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 10 });
    const seen = arrivals(c);
    c.request(10);
    await eventually(() => seen.items.length === 1, latest(1000) + 1000, 'the message published after the delete');
    expect(seen.order).toEqual(['c']);
    c.ack(seen.items[0]!);
    await sleep(50);
    await c.cancel();
  }, 20_000);
});
