import { describe, expect, it } from 'vitest';
import { publishDelay } from '../../src/message/publish-delay.ts';
import { MAX_DELAY_MS, parseDelay, tryParseDelay } from '../../src/message/delay.ts';
import { InvalidMessageError } from '../../src/errors/message-errors.ts';

describe('parseDelay', () => {
  it('takes ms or a Go-style duration, rounded up to whole ms', () => {
    expect(parseDelay(250, 'x')).toBe(250);
    expect(parseDelay(2.1, 'x')).toBe(3);
    expect(parseDelay('1m30s', 'x')).toBe(90_000);
    expect(parseDelay('1.5s', 'x')).toBe(1500);
    expect(parseDelay('0', 'x')).toBe(0);
    expect(parseDelay(undefined, 'x')).toBeUndefined();
    expect(parseDelay(MAX_DELAY_MS, 'x')).toBe(MAX_DELAY_MS);
  });

  it.each([
    ['soon', /where must be a number of milliseconds .* got "soon"/],
    [-5, /got -5/],
    [Number.NaN, /got NaN/],
    [MAX_DELAY_MS + 1, /exceeds the maximum of 2147483647ms/],
    ['600h', /"600h" exceeds the maximum/],
    [null, /got null/],
    [true, /got boolean/],
  ])('refuses %s with InvalidMessageError naming where', (value, message) => {
    expect(() => parseDelay(value, 'where')).toThrow(InvalidMessageError);
    expect(() => parseDelay(value, 'where')).toThrow(message);
    expect(tryParseDelay(value)).toBeUndefined();
  });
});

describe('publishDelay', () => {
  it('nothing asked: undefined, the headers untouched', () => {
    expect(publishDelay(undefined, undefined, 'app:q')).toBeUndefined();
    expect(publishDelay(undefined, { a: 1 }, 'app:q')).toBeUndefined();
  });

  it('the option keeps the headers as given; the neutral header is consumed', () => {
    const headers = { a: 1 };
    expect(publishDelay('5s', headers, 'app:q')).toEqual({ delayMs: 5000, headers });
    expect(publishDelay(undefined, { a: 1, delay: 250 }, 'app:q')).toEqual({ delayMs: 250, headers: { a: 1 } });
    expect(publishDelay(undefined, { delay: '1m' }, 'app:q')).toEqual({ delayMs: 60_000, headers: {} });
  });

  it("a driver's own header is left to the driver", () => {
    expect(publishDelay(undefined, { 'amqp.x_delay': 1200 }, 'app:q')).toBeUndefined();
  });

  it('names the field of a bad delay', () => {
    expect(() => publishDelay('later', undefined, 'app:q')).toThrow('publish to app:q: option delay must be');
    expect(() => publishDelay(undefined, { delay: 'later' }, 'app:q')).toThrow('publish to app:q: header "delay" must be');
    expect(() => publishDelay(undefined, { delay: true }, 'app:q')).toThrow(InvalidMessageError);
  });

  it('refuses a delay given twice', () => {
    expect(() => publishDelay('1s', { delay: '1s' }, 'app:q')).toThrow('publish to app:q: give the delay once, not as option delay and header "delay"');
  });
});
