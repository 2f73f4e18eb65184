import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkBody, assertSize, copyHeaders, headersBoundOf } from '../../src/message/validate-message.ts';
import { describeNonJson, jsonBound, MAX_JSON_DEPTH } from '../../src/message/json-body.ts';
import { defaultHeadersBytes, exactJsonBytes, headersBytes, numberBound, stringBound } from '../../src/message/json-size.ts';
import { InvalidMessageError, MessageTooLargeError } from '../../src/errors/message-errors.ts';
import { newTraceparent } from '../../src/tracing/traceparent.ts';
import { BAD_BODIES, GOOD_BODIES } from './body-cases.ts';

const reject = (body: unknown): string => {
  try {
    checkBody(body, 'app:q');
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidMessageError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('body rule', () => {
  it.each(BAD_BODIES.map((c) => [c.name, c] as const))('refuses %s, naming the path', (_name, c) => {
    expect(reject(c.body())).toBe(`publish to app:q: ${c.error}`);
  });

  it.each(GOOD_BODIES.map((c) => [c.name, c.body] as const))('accepts %s', (_name, body) => {
    expect(checkBody(body, 'app:q')).toBeGreaterThan(0);
  });

  it('refuses what carries nothing at the top, accepts it nested', () => {
    expect(reject(null)).toBe('publish to app:q: body is required');
    expect(reject(undefined)).toBe('publish to app:q: body is required');
    expect(reject({})).toBe('publish to app:q: body is an empty object');
    expect(reject([])).toBe('publish to app:q: body is an empty array');
    expect(checkBody({ a: null, b: {}, c: [] }, 'app:q')).toBeGreaterThan(0);
  });

  it('names the index of a bad body in a batch', () => {
    expect(() => checkBody({ at: new Date() }, 'app:q', 3)).toThrow('publish to app:q: bodies[3].at: Date is not JSON data');
    expect(() => checkBody(null, 'app:q', 0)).toThrow('publish to app:q: bodies[0] is required');
  });

  it('an object whose getter throws is refused with InvalidMessageError, not the raw error', () => {
    const body = {
      get broken(): number {
        throw new Error('boom');
      },
    };
    expect(reject(body)).toBe('publish to app:q: body could not be read: boom');
  });

  it('accepts shared (acyclic) references and refuses nesting past the depth limit', () => {
    const shared = { x: 1 };
    expect(checkBody({ a: shared, b: [shared, shared] }, 'q')).toBeGreaterThan(0);
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH + 1; i++) deep = [deep];
    expect(jsonBound(deep)).toBe(-1);
    expect(describeNonJson(deep)).toMatch(/: nested deeper than 1000 levels$/);
  });

  it('the walk and the description agree on every value fast-check makes (JSON data in, anything out)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(jsonBound(v)).toBeGreaterThanOrEqual(0);
        expect(describeNonJson(v)).toBeUndefined();
      }),
    );
    fc.assert(
      fc.property(fc.anything({ withDate: true, withMap: true, withSet: true, withBigInt: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }), (v) => {
        expect(jsonBound(v) < 0).toBe(describeNonJson(v) !== undefined);
      }),
    );
  });
});

describe('message size', () => {
  it('bounds are never below the exact JSON size (so nothing oversized slips through unmeasured)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(jsonBound(v)).toBeGreaterThanOrEqual(exactJsonBytes(v));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(stringBound(s)).toBeGreaterThanOrEqual(exactJsonBytes(s));
      }),
    );
    // The longest texts a finite number has, each side of the switch to exponent form.
    for (const d of [-0.0000012345678901234567, -0.0000010000193393261262, -2.2250738585072014e-308, -1.2345678901234567e20]) {
      expect(numberBound(d)).toBeGreaterThanOrEqual(String(d).length);
    }
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), (d, i) => {
        expect(numberBound(d)).toBeGreaterThanOrEqual(String(d).length);
        expect(numberBound(i)).toBe(String(i).length);
      }),
    );
  });

  it('long strings are measured exactly, escapes and lone surrogates included', () => {
    for (const s of ['a'.repeat(100), 'é'.repeat(100), '"\\\n'.repeat(40), '\ud800'.repeat(70), '😀'.repeat(50)]) {
      expect(stringBound(s)).toBe(exactJsonBytes(s));
    }
  });

  it('header sizes are exact, default headers included', () => {
    const h = copyHeaders({ a: 'x"y', n: 1.5, t: true, long: 'é'.repeat(80) }, 'q');
    expect(headersBytes(h)).toBe(exactJsonBytes(h));
    expect(headersBoundOf(h)).toBeGreaterThanOrEqual(headersBytes(h));
    const now = Math.floor(Date.now() / 1000);
    expect(defaultHeadersBytes(now)).toBe(exactJsonBytes({ timestamp: now, traceparent: newTraceparent() }));
    expect(headersBoundOf(undefined)).toBeGreaterThanOrEqual(defaultHeadersBytes(now));
  });

  it('refuses a message over the limit and accepts one exactly at it', () => {
    const now = 1_700_000_000;
    const headerBytes = defaultHeadersBytes(now);
    const limit = 2048;
    const fits = 'x'.repeat(limit - headerBytes - 2);
    const check = (body: unknown) => assertSize(body, checkBody(body, 'app:q'), undefined, headersBoundOf(undefined), now, limit, 'app:q');
    expect(() => check(fits)).not.toThrow();
    let error: unknown;
    try {
      check(fits + 'x');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error).toMatchObject({ code: 'MESSAGE_TOO_LARGE', size: limit + 1, limit });
    expect((error as Error).message).toBe(`publish to app:q: message is 2049 bytes (JSON body ${limit - headerBytes + 1} + headers ${headerBytes}), over the queue's max_message_size of 2048`);
    // Many short strings: the bound overshoots, the exact measure decides.
    const many = Array.from({ length: 100 }, () => 'abcdefghij');
    expect(() => check(many)).not.toThrow();
  });
});
