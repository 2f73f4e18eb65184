import { describe, expect, it } from 'vitest';
import { DelayedNack, handlerDelay, reasonText, retryDelay } from '../../src/consumer/settle-policy.ts';
import { recordingLogger } from '../support/runtime-kit.ts';

const policy = { initialDelay: 1000, maxDelay: 5000, factor: 2, jitter: 0 };

describe('retryDelay', () => {
  it('the n-th retry waits min(initial * factor^(n-1), max)', () => {
    expect([1, 2, 3, 4, 5, 10].map((n) => retryDelay(n, policy))).toEqual([1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('jitter moves it by at most its fraction either way', () => {
    const j = { ...policy, jitter: 0.1 };
    expect(retryDelay(1, j, () => 0)).toBe(900);
    expect(retryDelay(1, j, () => 0.5)).toBe(1000);
    expect(retryDelay(1, j, () => 0.999999)).toBe(1100);
    // Jitter on a maximal delay stays within what a timer can wait.
    expect(retryDelay(1, { initialDelay: 2 ** 31 - 1, maxDelay: 2 ** 31 - 1, jitter: 1 }, () => 0.999999)).toBe(2 ** 31 - 1);
  });
});

describe('handlerDelay', () => {
  const logger = recordingLogger();
  it('reads a DelayedNack, or the retryAfter of an error (ms or duration)', () => {
    expect(handlerDelay(new DelayedNack('r', 250), logger, 'm')).toBe(250);
    expect(handlerDelay(Object.assign(new Error('x'), { retryAfter: 300 }), logger, 'm')).toBe(300);
    expect(handlerDelay(Object.assign(new Error('x'), { retryAfter: '2s' }), logger, 'm')).toBe(2000);
    expect(handlerDelay({ retryAfter: '1m' }, logger, 'm')).toBe(60_000);
  });

  it('no delay asked: undefined', () => {
    for (const reason of [undefined, null, 'text', 42, new Error('x'), { code: 1 }]) expect(handlerDelay(reason, logger, 'm')).toBeUndefined();
  });

  it('a bad retryAfter, or a getter that throws, is ignored (logged), never thrown', () => {
    const log = recordingLogger();
    expect(handlerDelay({ retryAfter: 'whenever' }, log, 'm1')).toBeUndefined();
    expect(log.records[0]).toMatchObject({ level: 'warn', message: 'retryAfter of a handler error ignored', fields: { message_id: 'm1' } });
    const hostile = Object.defineProperty(new Error('x'), 'retryAfter', { get: () => { throw new Error('boom'); } });
    expect(handlerDelay(hostile, log, 'm2')).toBeUndefined();
  });

  it('the reason text of a DelayedNack is its reason', () => {
    expect(reasonText(new DelayedNack(new Error('busy'), 10))).toBe('busy');
  });
});
