import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MsgHdrsImpl, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import type { Headers } from '../../src/message/message.ts';
import { decodeName, decodeValue, encodeHeaders, encodeName, encodeValue } from '../../src/drivers/nats/nats-header-codec.ts';
import { copyHeaders, encodeMessage } from '../../src/drivers/nats/nats-codec.ts';
import { decodeMessage } from '../../src/drivers/nats/nats-decoder.ts';
import { NatsDelivery, parseAckSubject } from '../../src/drivers/nats/nats-delivery.ts';

/** Headers as they come back from the wire: encoded, written as NATS writes them, parsed as nats.js parses them. */
function overTheWire(h: MsgHdrs): MsgHdrs {
  return MsgHdrsImpl.decode((h as MsgHdrsImpl).encode());
}

const REPLY = '$JS.ACK.TASKS.actorq.1.42.7.1700000000000000000.3';

/** A JetStream message as the subscription callback gets it. */
function fakeMsg(data: Uint8Array | string, headers?: MsgHdrs, reply = REPLY): Msg {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return { subject: 'tasks', reply, data: bytes, headers, sid: 1 } as unknown as Msg;
}

/** `s` with lone surrogates as U+FFFD, as UTF-8 carries it (String.prototype.toWellFormed, not in this TypeScript lib). */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function decodeAll(h: MsgHdrs): Headers {
  const out: Headers = {};
  for (const [name, values] of h) {
    const key = decodeName(name);
    if (key !== undefined) out[key] = decodeValue(values[0]!);
  }
  return out;
}

describe('nats header codec', () => {
  it('writes plain values plainly and quotes only what would read back as something else', () => {
    expect(encodeValue('c-1')).toBe('c-1');
    expect(encodeValue('héllo ✓')).toBe('héllo ✓');
    expect(encodeValue(42)).toBe('42');
    expect(encodeValue(1.5)).toBe('1.5');
    expect(encodeValue(true)).toBe('true');
    expect(encodeValue('42')).toBe('"42"');
    expect(encodeValue('true')).toBe('"true"');
    expect(encodeValue(' padded ')).toBe('" padded "');
    expect(encodeValue('two\nlines')).toBe('"two\\nlines"');
    expect(encodeValue('"quoted"')).toBe('"\\"quoted\\""');
    expect(encodeName('correlation_id')).toBe('correlation_id');
    expect(encodeName('my key')).toBe('Actorq-Key-my%20key');
    expect(encodeName('Nats-Msg-Id')).toBe('Actorq-Key-Nats-Msg-Id');
  });

  it('reads headers other programs wrote by the same rules', () => {
    expect(decodeValue('42')).toBe(42);
    expect(decodeValue('-1.5e3')).toBe(-1500);
    expect(decodeValue('007')).toBe('007');
    expect(decodeValue('"unterminated')).toBe('"unterminated');
    expect(decodeValue('1e999')).toBe('1e999');
    expect(decodeName('Nats-Expected-Stream')).toBeUndefined();
    expect(decodeName('actorq-not-before')).toBeUndefined();
    expect(decodeName('Actorq-Key-%E0%A4%A')).toBe('Actorq-Key-%E0%A4%A');
  });

  it('every header survives the wire with its name, value and type (property)', () => {
    const value = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.boolean(),
      fc.constantFrom('42', 'true', 'false', '-0', '1e5', '"x"', ' x', 'x ', '', '\t', 'a\r\nb'),
    );
    const key = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('Nats-Msg-Id', 'actorq-id', 'Actorq-Key-x', 'a:b', 'x y', 'ü'));
    fc.assert(
      fc.property(fc.dictionary(key.filter((k) => k !== '__proto__'), value), (headers) => {
        const back = decodeAll(overTheWire(MsgHdrsImpl.fromRecord(encodeHeaders(headers))));
        const expected: Headers = {};
        for (const k in headers) {
          const v = headers[k]!;
          // UTF-8 has no lone surrogates: a name keeps its well-formed form; -0 reads back as 0.
          expected[wellFormed(k)] = typeof v === 'number' && v === 0 ? 0 : v;
        }
        expect(back).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('nats message codec', () => {
  it('a message and its copy decode to the same id, body and headers', () => {
    const headers = { timestamp: 1700000000, correlation_id: 'c-1', n: 42, yes: true, s: '42' };
    for (const id of ['m-1', ' spaced id ', '"quoted"', 'line\nbreak']) {
      const e = encodeMessage({ id, body: { a: [1, 'two'] }, headers }, 'q');
      const d = decodeMessage(fakeMsg(e.data, overTheWire(e.headers))) as NatsDelivery;
      expect(d).toBeInstanceOf(NatsDelivery);
      expect(d.id).toBe(id);
      expect(d.body).toEqual({ a: [1, 'two'] });
      expect(d.headers).toEqual(headers);
      expect(d.due).toBe(0);
      const copy = decodeMessage(fakeMsg(d.data, overTheWire(copyHeaders(d.id, 'actorq-requeue:TASKS:42:1', { ...d.headers, attempts: 1 }, 1234)))) as NatsDelivery;
      expect(copy.id).toBe(id);
      expect(copy.headers).toEqual({ ...headers, attempts: 1 });
      expect(copy.due).toBe(1234);
    }
  });

  it('a plain id is the Nats-Msg-Id, so JetStream deduplicates by message id', () => {
    const e = encodeMessage({ id: 'm-1', body: 1, headers: {} }, 'q');
    expect(e.headers.get('Nats-Msg-Id')).toBe('m-1');
    expect(e.headers.has('Actorq-Id')).toBe(false);
  });

  it('foreign messages: what is not a message is said so, never thrown; odd headers are sanitised', () => {
    const h = (r: Record<string, string>) => MsgHdrsImpl.fromRecord(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, [v]])));
    expect(decodeMessage(fakeMsg(''))).toBe('body is empty');
    expect(decodeMessage(fakeMsg(new Uint8Array([0xff, 0xfe, 0x41])))).toBe('body is not valid UTF-8');
    expect(decodeMessage(fakeMsg('hello'))).toMatch(/^body is not valid JSON \(and no Content-Type: text\/\.\.\.\)/);
    expect(decodeMessage(fakeMsg('{}'))).toBe('body is an empty object, which publish refuses');
    expect(decodeMessage(fakeMsg('null'))).toBe('body is JSON null, which publish refuses');
    const text = decodeMessage(fakeMsg('hello', h({ 'Content-Type': 'text/plain' }))) as NatsDelivery;
    expect(text.body).toBe('hello');
    const d = decodeMessage(fakeMsg('{"n":1}', h({ attempts: '-5', x_dead_letter_time: 'soon', 'Nats-Expected-Stream': 'X', k: 'v' }))) as NatsDelivery;
    expect(d.headers).toEqual({ k: 'v' });
    // No Nats-Msg-Id: an ID stable across redeliveries of the stored message.
    expect(d.id).toBe('TASKS:42');
  });

  it('reads both forms of JetStream ack subjects', () => {
    expect(parseAckSubject(REPLY)).toEqual({ stream: 'TASKS', deliveryCount: 1, streamSequence: 42, timestamp: '1700000000000000000' });
    expect(parseAckSubject('$JS.ACK.hub.ACC.TASKS.actorq.3.9.7.1700000000000000000.0.tok')).toMatchObject({ stream: 'TASKS', deliveryCount: 3, streamSequence: 9 });
    expect(parseAckSubject('_INBOX.x')).toBeUndefined();
  });
});
