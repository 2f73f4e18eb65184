import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HandlerTimeouts, sweepPeriod, type TimedWorker } from '../../src/consumer/handler-timeouts.ts';

interface Worker extends TimedWorker {
  current: object | undefined;
}

const worker = (): Worker => ({ current: undefined, watched: undefined, watchedSince: 0 });

describe('HandlerTimeouts', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sweeps every eighth of the timeout, between 10 ms and 1 s', () => {
    expect([sweepPeriod(40), sweepPeriod(400), sweepPeriod(60_000)]).toEqual([10, 50, 1000]);
  });

  it.each([0, 1, 5, 9])('never ends a handler before its timeout, nor more than two sweeps after (started %i ms into a period)', (offset) => {
    const timeout = 80;
    const w = worker();
    const expired: number[] = [];
    const sweeper = new HandlerTimeouts<Worker>();
    const t0 = performance.now();
    sweeper.start([w], timeout, (x) => x.current, () => expired.push(performance.now() - started));
    vi.advanceTimersByTime(offset);
    const started = performance.now();
    w.current = {};
    vi.advanceTimersByTime(timeout - 1);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1 + 2 * sweepPeriod(timeout));
    expect(expired.length).toBeGreaterThan(0);
    expect(expired[0]!).toBeGreaterThanOrEqual(timeout);
    expect(expired[0]!).toBeLessThanOrEqual(timeout + 2 * sweepPeriod(timeout));
    expect(started - t0).toBe(offset);
    sweeper.stop();
  });

  it('does not add up the time of different messages on a busy worker', () => {
    const w = worker();
    const onExpired = vi.fn();
    const sweeper = new HandlerTimeouts<Worker>();
    sweeper.start([w], 50, (x) => x.current, onExpired);
    // Always busy, but with a new message every 30 ms: none of them lasts 50 ms.
    for (let i = 0; i < 20; i++) {
      w.current = {};
      vi.advanceTimersByTime(30);
    }
    expect(onExpired).not.toHaveBeenCalled();
    sweeper.stop();
  });

  it('reads the worker list at each sweep, so a worker put in place of an expired one is watched from scratch', () => {
    const workers: Worker[] = [worker()];
    const expiredWorkers: Worker[] = [];
    const sweeper = new HandlerTimeouts<Worker>();
    sweeper.start(workers, 40, (x) => x.current, (x) => {
      expiredWorkers.push(x);
      workers[0] = worker();
    });
    const first = workers[0]!;
    first.current = {};
    vi.advanceTimersByTime(40 + 2 * sweepPeriod(40));
    expect(expiredWorkers).toEqual([first]);
    workers[0]!.current = {};
    vi.advanceTimersByTime(39);
    expect(expiredWorkers).toEqual([first]);
    sweeper.stop();
  });

  it('stops sweeping on stop', () => {
    const w = worker();
    const onExpired = vi.fn();
    const sweeper = new HandlerTimeouts<Worker>();
    sweeper.start([w], 20, (x) => x.current, onExpired);
    w.current = {};
    sweeper.stop();
    vi.advanceTimersByTime(1000);
    expect(onExpired).not.toHaveBeenCalled();
  });
});
