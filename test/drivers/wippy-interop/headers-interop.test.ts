import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AmqpDriver } from '../../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../../src/drivers/amqp/amqp-options.ts';
import { collect, uniqueQueueName } from '../conformance-helpers.ts';
import { AMQP_URL, destroyQueue, makeDriver, withRawChannel } from '../amqp/broker-helpers.ts';
import { WippyFixture } from './wippy-fixture.ts';

// A Wippy service and an actorq service on one RabbitMQ queue, each way.
// The Wippy side is a fixture in plain amqplib that encodes and decodes as
// Wippy's Go driver does and reads the header table with its wire types.
describe('wippy <-> actorq on one AMQP queue: headers, properties, types, bodies', () => {
  let driver: AmqpDriver;
  let wippy: WippyFixture;
  const queues: string[] = [];

  beforeAll(async () => {
    driver = makeDriver();
    await driver.start();
    wippy = await WippyFixture.connect(AMQP_URL);
  });

  afterAll(async () => {
    await driver.stop();
    await wippy.close();
    for (const q of queues) await destroyQueue(q).catch(() => undefined);
  });

  async function queue(label: string): Promise<string> {
    const name = uniqueQueueName(label);
    queues.push(name);
    await wippy.declare(name);
    await driver.declare({ id: `test:${label}`, name, options: amqpQueueOptionsSchema.parse({}) });
    return name;
  }

  async function takeOne(name: string) {
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 5 });
    const got = collect(c, 1);
    c.request(5);
    const [d] = await got;
    await c.ack(d!);
    await c.cancel();
    return d!;
  }

  const NEUTRAL = {
    correlation_id: 'corr-1', reply_to: 'app.rpc:replies', message_type: 'order.created', content_type: 'text/plain', encoding: 'utf-8',
    schema: 'orders/v2', source: 'billing', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=1',
  };

  it('wippy -> actorq: every neutral header arrives (from its property), types intact, body decoded by the codec whatever content_type says', async () => {
    const name = await queue('w2a');
    await wippy.publish(name, { order: 42, items: ['a'] }, { ...NEUTRAL, timestamp: 1_700_000_000, n: 5, big: 70_000, f: { float: 1.5 }, yes: true, 'amqp.priority': 3, 'amqp.expiration': '60000' }, 'wippy-id-1');
    const d = await takeOne(name);
    expect(d.id).toBe('wippy-id-1');
    // content_type text/plain, yet the queue's codec (JSON) decodes the body.
    expect(d.body).toEqual({ order: 42, items: ['a'] });
    expect(d.headers).toStrictEqual({
      ...NEUTRAL, timestamp: 1_700_000_000, n: 5, big: 70_000, f: 1.5, yes: true,
      'amqp.priority': 3, 'amqp.delivery_mode': 2, 'amqp.expiration': '60000',
    });
  });

  it('actorq -> wippy: neutral headers in their properties, integers int64 and floats float64 on the wire, numbers in Lua', async () => {
    const name = await queue('a2w');
    const headers = {
      ...NEUTRAL, content_type: 'application/json', timestamp: 1_700_000_000, attempts: 2, small: 5, neg: -1, short: 300, big: 70_000, huge: 2 ** 40,
      f: 1.5, yes: true, text: 'x', 'amqp.priority': 4, 'amqp.expiration': 60_000, 'amqp.delivery_mode': 1,
    };
    await driver.publish(name, [{ id: 'actorq-id-1', body: { hello: 'wippy' }, headers }]);
    const [d] = await wippy.consume(name, 1);
    expect(d!.id).toBe('actorq-id-1');
    expect(d!.body).toEqual({ hello: 'wippy' });
    expect(d!.properties).toMatchObject({
      correlationId: 'corr-1', replyTo: 'app.rpc:replies', type: 'order.created', contentType: 'application/json', contentEncoding: 'utf-8',
      timestamp: 1_700_000_000, priority: 4, deliveryMode: 1, expiration: '60000', messageId: 'actorq-id-1',
    });
    // The table carries only what has no property, each number with the type Wippy's Lua reads as a number.
    const int64 = (value: number) => ({ '!': 'int64', value });
    expect(d!.properties['headers']).toStrictEqual({
      schema: 'orders/v2', source: 'billing', traceparent: NEUTRAL.traceparent, tracestate: 'vendor=1',
      attempts: int64(2), small: int64(5), neg: int64(-1), short: int64(300), big: int64(70_000), huge: int64(2 ** 40),
      f: { '!': 'double', value: 1.5 }, yes: true, text: 'x',
    });
    expect(d!.lua).toStrictEqual({
      ...NEUTRAL, content_type: 'application/json', timestamp: 1_700_000_000, attempts: 2, small: 5, neg: -1, short: 300, big: 70_000, huge: 2 ** 40,
      f: 1.5, yes: true, text: 'x', 'amqp.priority': 4, 'amqp.delivery_mode': 1, 'amqp.expiration': '60000',
    });
  });

  it('the fixture sees what a plain amqplib publisher writes: small integers as int8, which Wippy hands to Lua as strings', async () => {
    // What actorq wrote before: this is the difference the test above checks for.
    const name = await queue('raw');
    await withRawChannel(async (ch) => {
      ch.sendToQueue(name, Buffer.from('{"a":1}'), { headers: { attempts: 3, n: 70_000 } });
      await ch.waitForConfirms();
    });
    const [d] = await wippy.consume(name, 1);
    expect(d!.properties['headers']).toStrictEqual({ attempts: { '!': 'int8', value: 3 }, n: { '!': 'int32', value: 70_000 } });
    expect(d!.lua).toMatchObject({ attempts: '3', n: '70000' });
    // No timestamp property: Wippy stamps the receive time.
    expect(typeof d!.lua['timestamp']).toBe('number');
  });

  it('a round trip wippy -> actorq -> wippy keeps every header and its type', async () => {
    const name = await queue('round');
    await wippy.publish(name, 'text body', { ...NEUTRAL, timestamp: 1_650_000_000, n: 7, f: { float: 0.25 } }, 'round-1');
    const d = await takeOne(name);
    await driver.publish(name, [{ id: d.id, body: d.body, headers: d.headers }]);
    const [back] = await wippy.consume(name, 1);
    expect(back!.body).toBe('text body');
    expect(back!.lua).toStrictEqual({ ...NEUTRAL, timestamp: 1_650_000_000, n: 7, f: 0.25, 'amqp.priority': 0, 'amqp.delivery_mode': 2 });
    expect(back!.properties['headers']).toStrictEqual({
      schema: 'orders/v2', source: 'billing', traceparent: NEUTRAL.traceparent, tracestate: 'vendor=1', n: { '!': 'int64', value: 7 }, f: { '!': 'double', value: 0.25 },
    });
  });
});
