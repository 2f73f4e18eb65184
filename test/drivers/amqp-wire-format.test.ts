import { describe, expect, it } from 'vitest';
import type { MessageProperties } from 'amqplib';
import { encodeMessage, encodeProperties } from '../../src/drivers/amqp/message-codec.ts';
import { decodeHeaders } from '../../src/drivers/amqp/message-decoder.ts';
import { messageCopy } from '../../src/drivers/amqp/message-copy.ts';
import { InvalidMessageError } from '../../src/errors/message-errors.ts';
import { amqplibCodec } from './wippy-interop/typed-amqplib.ts';
import { decodeTypedFields } from './wippy-interop/typed-table.ts';

/** The header table as it goes over the wire, read back with its field types. */
function wire(table: Record<string, unknown> | undefined): Record<string, unknown> {
  const buffer = Buffer.alloc(65536);
  const size = amqplibCodec.encodeTable(buffer, table ?? {}, 0);
  return decodeTypedFields(buffer.subarray(4, size));
}

/** What amqplib hands a consumer for these properties (numbers untyped). */
function received(props: Record<string, unknown>): MessageProperties {
  const buffer = Buffer.alloc(65536);
  const size = amqplibCodec.encodeTable(buffer, (props['headers'] as Record<string, unknown>) ?? {}, 0);
  return { ...props, headers: amqplibCodec.decodeFields(buffer.subarray(4, size)) } as MessageProperties;
}

const NEUTRAL = {
  timestamp: 1_700_000_000, correlation_id: 'c-1', reply_to: 'app:replies', message_type: 'task',
  content_type: 'text/plain', encoding: 'gzip',
};

describe('amqp wire format (as Wippy writes and reads it)', () => {
  it('puts neutral headers in their AMQP properties, not in the table', () => {
    const p = encodeProperties('m-1', { ...NEUTRAL, schema: 'v1', source: 'svc', traceparent: '00-ab-cd-01', tracestate: 'a=b' }, 'q');
    expect(p).toMatchObject({
      messageId: 'm-1', timestamp: 1_700_000_000, correlationId: 'c-1', replyTo: 'app:replies', type: 'task',
      contentType: 'text/plain', contentEncoding: 'gzip', deliveryMode: 2,
    });
    expect(p.headers).toEqual({ schema: 'v1', source: 'svc', traceparent: '00-ab-cd-01', tracestate: 'a=b' });
  });

  it('writes integers as int64 and other numbers as float64, whatever their size', () => {
    const p = encodeProperties('m', { small: 5, negative: -1, big: 70_000, huge: 2 ** 40, half: 1.5, whole: 2.0, attempts: 3, yes: true, text: 't' }, 'q');
    expect(wire(p.headers)).toEqual({
      small: { '!': 'int64', value: 5 }, negative: { '!': 'int64', value: -1 }, big: { '!': 'int64', value: 70_000 },
      huge: { '!': 'int64', value: 2 ** 40 }, half: { '!': 'double', value: 1.5 }, whole: { '!': 'int64', value: 2 },
      attempts: { '!': 'int64', value: 3 }, yes: true, text: 't',
    });
  });

  it('keeps a neutral header in the table (typed) when its property cannot take the value', () => {
    const long = 'x'.repeat(256);
    const p = encodeProperties('m', { correlation_id: long, reply_to: '', timestamp: 1.5, message_type: 7 }, 'q');
    expect(p.correlationId).toBeUndefined();
    expect(p.replyTo).toBeUndefined();
    expect(p.timestamp).toBeUndefined();
    expect(wire(p.headers)).toEqual({ correlation_id: long, reply_to: '', timestamp: { '!': 'double', value: 1.5 }, message_type: { '!': 'int64', value: 7 } });
    expect(decodeHeaders(received(p as Record<string, unknown>))).toMatchObject({ correlation_id: long, reply_to: '', timestamp: 1.5, message_type: 7 });
  });

  it('steering headers: priority, expiration (a string), delivery mode, x-delay as int32; amqp.mandatory is consumed', () => {
    const p = encodeProperties('m', { 'amqp.priority': 7, 'amqp.expiration': '30s', 'amqp.delivery_mode': 1, 'amqp.x_delay': 500, 'amqp.mandatory': true, 'amqp.other': 1 }, 'q');
    expect(p).toMatchObject({ priority: 7, expiration: '30000', deliveryMode: 1 });
    expect(wire(p.headers)).toEqual({ 'x-delay': { '!': 'int32', value: 500 }, 'amqp.other': { '!': 'int64', value: 1 } });
    // 0 is what a delivery without the property reads back: accepted, meaning the default.
    const zero = encodeProperties('m', { 'amqp.priority': 0, 'amqp.delivery_mode': 0 }, 'q');
    expect([zero.priority, zero.deliveryMode]).toEqual([undefined, 2]);
    // `encoding` and its alias: `encoding` wins.
    expect(encodeProperties('m', { 'amqp.content_encoding': 'br', encoding: 'gzip' }, 'q').contentEncoding).toBe('gzip');
    expect(encodeProperties('m', { 'amqp.content_encoding': 'br' }, 'q').contentEncoding).toBe('br');
  });

  it('refuses bad steering header values', () => {
    expect(() => encodeMessage({ id: 'a', body: 1, headers: { 'amqp.priority': 300 } }, 'q')).toThrow(InvalidMessageError);
    expect(() => encodeMessage({ id: 'a', body: 1, headers: { 'amqp.expiration': 'soon' } }, 'q')).toThrow(InvalidMessageError);
    expect(() => encodeMessage({ id: 'a', body: 1, headers: { 'amqp.delivery_mode': 3 } }, 'q')).toThrow(InvalidMessageError);
  });

  it('is persistent JSON with the id in message-id; default_message_ttl applies unless the message sets amqp.expiration', () => {
    const e = encodeMessage({ id: 'm-1', body: { a: 1 }, headers: { k: 'v' } }, 'q', { messageTtl: 3_600_000 });
    expect(e.content.toString()).toBe('{"a":1}');
    expect(e.properties).toMatchObject({ messageId: 'm-1', contentType: 'application/json', deliveryMode: 2, expiration: '3600000', headers: { k: 'v' } });
    expect(encodeMessage({ id: 'm', body: 1, headers: { 'amqp.expiration': 5 } }, 'q', { messageTtl: 3_600_000 }).properties.expiration).toBe('5');
    expect(encodeMessage({ id: 'm', body: 1, headers: {} }, 'q').properties.expiration).toBeUndefined();
  });

  it("reads properties back into Wippy's header names and shapes; the table overrides them", () => {
    const p = encodeProperties('m', { ...NEUTRAL, n: 5, 'amqp.expiration': 1000 }, 'q');
    expect(decodeHeaders(received(p as Record<string, unknown>))).toEqual({ ...NEUTRAL, n: 5, 'amqp.priority': 0, 'amqp.delivery_mode': 2, 'amqp.expiration': '1000' });
    // A delivery with no properties at all still reports priority and delivery mode.
    expect(decodeHeaders({} as MessageProperties)).toEqual({ 'amqp.priority': 0, 'amqp.delivery_mode': 0 });
    expect(decodeHeaders({ correlationId: 'prop', headers: { correlation_id: 'table' } } as never)).toMatchObject({ correlation_id: 'table' });
  });

  it('drops broker bookkeeping and unwraps typed values on the way back', () => {
    const headers = decodeHeaders({
      headers: { 'x-death': [{ count: 1 }], stamp: { '!': 'timestamp', value: 1700000000 }, bin: Buffer.from('hi'), nested: { a: 1 } },
    } as never);
    expect(headers).toEqual({ stamp: 1700000000, bin: 'hi', 'amqp.priority': 0, 'amqp.delivery_mode': 0 });
  });

  it("adds a quorum queue's x-delivery-count to attempts, whoever nacked", () => {
    expect(decodeHeaders({ headers: { 'x-delivery-count': 2 } } as never)['attempts']).toBe(2);
    expect(decodeHeaders({ headers: { 'x-delivery-count': 2, attempts: 3 } } as never)['attempts']).toBe(5);
    expect(decodeHeaders({ headers: { 'x-delivery-count': 0, attempts: 3 } } as never)['attempts']).toBe(3);
    for (const odd of [-1, 1.5, 'x']) expect(decodeHeaders({ headers: { 'x-delivery-count': odd } } as never)).not.toHaveProperty('attempts');
    expect(decodeHeaders({ headers: { 'x-delivery-count': 4, attempts: -5 } } as never)['attempts']).toBe(4);
  });

  it('a requeue copy keeps every property and header of the original: typed table, app-id, foreign nested values; no broker bookkeeping', () => {
    const original = received({
      ...encodeProperties('m', { ...NEUTRAL, n: 5, 'amqp.priority': 3 }, 'q'),
      appId: 'wippy', userId: 'guest', expiration: '60000',
      headers: { n: { '!': 'int64', value: 5 }, nested: { a: 1 }, list: [1, 'b'], 'x-death': [{ count: 1 }], 'x-delivery-count': 1 },
    });
    const decoded = decodeHeaders(original);
    expect(decoded['attempts']).toBe(1); // x-delivery-count
    const headers = { ...decoded, attempts: 2 }; // what the consumer passes on after a failure
    const copy = messageCopy('m', Buffer.from('1'), original, headers, 'q', false);
    expect(copy.properties).toMatchObject({
      messageId: 'm', timestamp: 1_700_000_000, correlationId: 'c-1', replyTo: 'app:replies', type: 'task', contentType: 'text/plain',
      contentEncoding: 'gzip', priority: 3, deliveryMode: 2, expiration: '60000', appId: 'wippy',
    });
    expect(copy.properties.userId).toBeUndefined();
    expect(wire(copy.properties.headers)).toEqual({ n: { '!': 'int64', value: 5 }, attempts: { '!': 'int64', value: 2 }, nested: { a: { '!': 'int8', value: 1 } }, list: [{ '!': 'int8', value: 1 }, 'b'] });
  });

  it('a dead-letter copy carries the expiration as a header, so it cannot expire in the dead-letter queue', () => {
    const original = received(encodeProperties('m', { 'amqp.expiration': 1000, k: 'v' }, 'q') as Record<string, unknown>);
    const headers = { ...decodeHeaders(original), x_dead_letter_reason: 'boom' };
    const copy = messageCopy('m', Buffer.from('1'), original, headers, 'dlq', true);
    expect(copy.properties.expiration).toBeUndefined();
    expect(wire(copy.properties.headers)).toMatchObject({ 'amqp.expiration': '1000', k: 'v', x_dead_letter_reason: 'boom' });
  });
});
