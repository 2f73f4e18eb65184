import { describe, expect, it } from 'vitest';
import { NakClock } from '../../src/drivers/nats/nats-nak-clock.ts';

/*
 * The clock early messages are handed back against: everything due at
 * one time gets the same delay however the wall clock ticks meanwhile,
 * so the server returns a delayed batch in the order it was handed back.
 */
describe('nats nak clock', () => {
  function clockAt(start: number) {
    let now = start;
    return { clock: new NakClock(() => now), tick: (ms: number) => (now += ms) };
  }

  it('gives every message due at one time the same remaining delay while the clock ticks', () => {
    const { clock, tick } = clockAt(10_000);
    expect(clock.remaining(10_800)).toBe(800);
    tick(1);
    expect(clock.remaining(10_800)).toBe(800);
    tick(5);
    expect(clock.remaining(10_800)).toBe(800);
  });

  it('reads the clock afresh for another due time', () => {
    const { clock, tick } = clockAt(10_000);
    expect(clock.remaining(10_800)).toBe(800);
    tick(3);
    expect(clock.remaining(10_900)).toBe(897);
    // Back to the first due time: a new reading (only the last due time is remembered).
    expect(clock.remaining(10_800)).toBe(797);
  });

  it('does not let a straggler due at the same time inherit a reading older than a second', () => {
    const { clock, tick } = clockAt(10_000);
    expect(clock.remaining(15_000)).toBe(5_000);
    tick(1_000);
    expect(clock.remaining(15_000)).toBe(5_000);
    tick(1);
    expect(clock.remaining(15_000)).toBe(3_999);
  });

  it('never counts from a reading in the future: a shared reading only lengthens a delay', () => {
    const { clock, tick } = clockAt(10_000);
    const first = clock.remaining(10_500);
    tick(7);
    const later = clock.remaining(10_500);
    // What the wall clock says is left is 493; the shared reading gives 500: late, never early.
    expect(later).toBe(first);
    expect(later).toBeGreaterThanOrEqual(10_500 - 10_007);
  });
});
