import { afterEach, describe, expect, it, vi } from 'vitest';
import { unixSeconds } from '../../src/util/unix-seconds.ts';

const nextTurn = () => Promise.resolve();

describe('unixSeconds', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads the clock afresh after any await', async () => {
    await nextTurn();
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_000_000_000_500);
    expect(unixSeconds()).toBe(1_000_000_000);
    now.mockReturnValue(1_000_000_060_000);
    // Same synchronous run: the cached second.
    expect(unixSeconds()).toBe(1_000_000_000);
    await nextTurn();
    // A publish after any wait stamps the time of that publish.
    expect(unixSeconds()).toBe(1_000_000_060);
  });

  it('reads the clock again after a few calls even within one synchronous run', async () => {
    await nextTurn();
    const now = vi.spyOn(Date, 'now').mockReturnValue(2_000_000_000_000);
    expect(unixSeconds()).toBe(2_000_000_000);
    now.mockReturnValue(2_000_000_005_000);
    const seen = Array.from({ length: 16 }, () => unixSeconds());
    expect(seen.at(-1)).toBe(2_000_000_005);
    expect(now.mock.calls.length).toBe(2);
  });
});
