import { describe, expect, it } from 'vitest';
import type { ConsumeMessage, MessageProperties } from 'amqplib';
import { decodeDelivery } from '../../src/drivers/amqp/message-decoder.ts';
import { encodeMessage } from '../../src/drivers/amqp/message-codec.ts';
import { parkedQueueName, setAsideCopy } from '../../src/drivers/amqp/set-aside.ts';

const props = (p: Partial<MessageProperties> = {}): MessageProperties => ({ headers: {}, ...p }) as MessageProperties;
/** What every delivery without priority and delivery-mode properties reports (as Wippy does). */
const DEFAULTS = { 'amqp.priority': 0, 'amqp.delivery_mode': 0 };
const decode = (content: string | Buffer, p?: Partial<MessageProperties>) => decodeDelivery(typeof content === 'string' ? Buffer.from(content) : content, props(p));

describe('amqp delivery decoding (data from other programs)', () => {
  it('round-trips what the driver itself writes', () => {
    const e = encodeMessage({ id: 'm-1', body: { a: [1, 'x'] }, headers: { k: 'v', attempts: 2 } }, 'q');
    const p = { ...e.properties, headers: { k: 'v', attempts: 2 } } as unknown as MessageProperties; // as amqplib reads the table back
    expect(decodeDelivery(e.content, p)).toEqual({
      id: 'm-1', body: { a: [1, 'x'] }, headers: { k: 'v', attempts: 2, content_type: 'application/json', 'amqp.priority': 0, 'amqp.delivery_mode': 2 },
    });
  });

  it.each([
    ['an empty body', '', {}, 'body is empty'],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), {}, 'body is not valid UTF-8'],
    ['text without a content type', 'hello', {}, /^body is not valid JSON \(content-type absent\): /],
    ['a JSON content type over text', '{broken', { contentType: 'application/json' }, /^body is not valid JSON \(content-type application\/json\): /],
    ['a "[" that is not JSON', '[1, 2', {}, /^body is not valid JSON/],
    ['binary under another type', 'PK\u0003\u0004', { contentType: 'application/zip' }, /^body is not valid JSON \(content-type application\/zip\)/],
    ['JSON null', 'null', {}, 'body is JSON null, which publish refuses'],
    ['an empty object', '{}', { contentType: 'application/json' }, 'body is an empty object, which publish refuses'],
    ['an empty array', ' [ ] ', {}, 'body is an empty array, which publish refuses'],
  ] as const)('does not decode %s, and says why', (_name, content, p, reason) => {
    const out = decode(content, p);
    expect(typeof out).toBe('string');
    if (typeof reason === 'string') expect(out).toBe(reason);
    else expect(out).toMatch(reason);
  });

  it('decodes by the codec (JSON) whatever the content type says, as Wippy does', () => {
    expect(decode('{"a":1}', { contentType: 'weird/type' })).toMatchObject({ body: { a: 1 } });
    expect(decode('123', { contentType: 'text/plain' })).toMatchObject({ body: 123 });
    expect(decode('"text"', { contentType: 'text/plain' })).toMatchObject({ body: 'text' });
    // Text that is not JSON is not a message of a JSON queue, whatever its type says.
    expect(decode('plain words', { contentType: 'text/plain; charset=utf-8' })).toMatch(/^body is not valid JSON \(content-type text\/plain; charset=utf-8\)/);
    expect(decode('null', { contentType: 'TEXT/plain' })).toBe('body is JSON null, which publish refuses');
  });

  it('reads odd header tables without failing: missing, null, an array, nested values', () => {
    for (const headers of [undefined, null, [1, 2], 'text']) {
      expect(decode('1', { headers: headers as never })).toMatchObject({ body: 1, headers: DEFAULTS });
    }
    const out = decode('1', { headers: { ok: 'yes', nested: { a: 1 }, list: [1], nothing: null, 'x-death': [{ count: 1 }] } as never });
    expect((out as { headers: object }).headers).toEqual({ ok: 'yes', ...DEFAULTS });
  });

  it('sanitises reserved headers from outside: a foreign attempts counts as 0, x_* keep only their own types', () => {
    for (const attempts of [-5, 1.5, '3', true, Number.MAX_SAFE_INTEGER + 2]) {
      expect((decode('1', { headers: { attempts } }) as { headers: object }).headers).toEqual(DEFAULTS);
    }
    expect((decode('1', { headers: { attempts: 4 } }) as { headers: object }).headers).toEqual({ attempts: 4, ...DEFAULTS });
    const out = decode('1', { headers: { x_original_queue: 5, x_dead_letter_reason: 'boom', x_dead_letter_time: -1 } });
    expect((out as { headers: object }).headers).toEqual({ x_dead_letter_reason: 'boom', ...DEFAULTS });
  });

  it('never throws, whatever the properties look like', () => {
    expect(() => decodeDelivery(Buffer.from('1'), null as never)).not.toThrow();
    expect(() => decodeDelivery(null as never, props())).not.toThrow();
    expect(decodeDelivery(null as never, props())).toBe('body is empty');
    const hostile = props({ headers: new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }) as never });
    expect(decodeDelivery(Buffer.from('1'), hostile)).toBe('cannot be decoded: trap');
  });
});

describe('the copy of an undecodable delivery', () => {
  it('keeps the bytes, the properties and the header table; adds the dead-letter headers; drops expiry and user-id', () => {
    const content = Buffer.from([0xff, 0x00, 0x7b]);
    const raw = {
      content,
      fields: {},
      properties: { contentType: 'application/x-thing', messageId: 'f-1', expiration: '1000', userId: 'someone', deliveryMode: 1, headers: { attempts: -5, keep: { a: 1 }, half: 0.5 } },
    } as unknown as ConsumeMessage;
    const copy = setAsideCopy(raw, 'app:q', 'body is not valid UTF-8', 1_700_000_000_000);
    expect(copy.content).toBe(content);
    expect(copy.properties).toEqual({
      contentType: 'application/x-thing',
      messageId: 'f-1',
      deliveryMode: 2,
      // Numbers as int64 / float64, as every table the driver writes.
      headers: {
        attempts: { '!': 'int64', value: -5 }, keep: { a: 1 }, half: { '!': 'double', value: 0.5 }, x_original_queue: 'app:q',
        x_dead_letter_reason: 'undecodable: body is not valid UTF-8', x_dead_letter_time: { '!': 'int64', value: 1_700_000_000 },
      },
    });
    expect(parkedQueueName('tasks')).toBe('tasks.parked');
  });
});
