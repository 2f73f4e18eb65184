import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeMessage, MalformedEntry } from '../../src/drivers/redis/redis-codec.ts';
import { RedisDelivery } from '../../src/drivers/redis/redis-delivery.ts';
import { MALFORMED } from './redis/foreign-entries.ts';

describe('redis codec: decodeEntry is total and classifies', () => {
  it('decodes what encodeMessage wrote, with and without a TTL stamp', () => {
    const plain = decodeEntry(encodeMessage('m1', { timestamp: 1, attempts: 2, ok: true }, { n: 1 }), 5);
    expect(plain).toBeInstanceOf(RedisDelivery);
    expect(plain).toMatchObject({ id: 'm1', body: { n: 1 }, headers: { timestamp: 1, attempts: 2, ok: true }, expiry: '', token: 5 });
    const stamped = decodeEntry(`1700000000000|${encodeMessage('m2', {}, 'x')}`, 6);
    expect(stamped).toMatchObject({ id: 'm2', body: 'x', expiry: '1700000000000|', token: 6 });
  });

  for (const { label, raw, reason } of MALFORMED) {
    it(`classifies ${label} as malformed, keeping the raw entry`, () => {
      let result: RedisDelivery | MalformedEntry | undefined;
      expect(() => (result = decodeEntry(raw, 9))).not.toThrow();
      expect(result).toBeInstanceOf(MalformedEntry);
      const m = result as MalformedEntry;
      expect(m.raw).toBe(raw);
      expect(m.token).toBe(9);
      expect(m.reason).toMatch(reason);
    });
  }

  it('delivers a message whose only fault is its headers, with the headers sanitised', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['["m",null,{"n":1}]', {}],
      ['["m","text",{"n":1}]', {}],
      ['["m",[1,2],{"n":1}]', {}],
      ['["m",7,{"n":1}]', {}],
      ['["m",{"a":"x","b":null,"c":{"d":1},"e":[1]},{"n":1}]', { a: 'x' }],
      ['["m",{"attempts":-5,"t":1},{"n":1}]', { t: 1 }],
      ['["m",{"attempts":1.5},{"n":1}]', {}],
      ['["m",{"attempts":"3"},{"n":1}]', {}],
      ['["m",{"attempts":3},{"n":1}]', { attempts: 3 }],
      ['["m",{"__proto__":{"polluted":1},"k":"v"},{"n":1}]', { k: 'v' }],
    ];
    for (const [raw, headers] of cases) {
      const d = decodeEntry(raw, 1);
      expect(d, raw).toBeInstanceOf(RedisDelivery);
      expect((d as RedisDelivery).headers, raw).toEqual(headers);
      expect(Object.getPrototypeOf((d as RedisDelivery).headers), raw).toBe(Object.prototype);
      expect((d as RedisDelivery).body).toEqual({ n: 1 });
    }
  });

  it('delivers bodies that are JSON data of any kind but null', () => {
    for (const body of [0, false, '', 'text', [1], { a: null }]) {
      const d = decodeEntry(encodeMessage('m', {}, body), 1);
      expect(d).toBeInstanceOf(RedisDelivery);
      expect((d as RedisDelivery).body).toEqual(body);
    }
  });
});
