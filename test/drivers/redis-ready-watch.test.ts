import { describe, expect, it } from 'vitest';
import { ReadyWatch } from '../../src/drivers/redis/redis-ready-watch.ts';
import type { RedisConnection } from '../../src/drivers/redis/redis-connection.ts';

/** A watch listening on a channel the test publishes to by calling `notify`. */
function watch(): { ready: ReadyWatch; notify(): void; wakes: () => number } {
  let listener: ((message: string) => void) | undefined;
  const connection = { listen: (_channel: string, l: (message: string) => void) => ((listener = l), () => {}) } as unknown as RedisConnection;
  let wakes = 0;
  const ready = new ReadyWatch(() => void wakes++);
  ready.listen(connection, 'notify');
  return { ready, notify: () => listener!(''), wakes: () => wakes };
}

/*
 * Whether a consumer may sleep, with several fetches out. Redis runs them
 * in the order sent, so only the newest answer says the list is empty, and
 * only when nothing was published since that fetch went out.
 */
describe('redis ready watch', () => {
  it('a short answer puts the consumer to sleep when it is the newest word and nothing was notified since', () => {
    const { ready } = watch();
    const seq = ready.fetching();
    ready.fetched(seq, true);
    expect(ready.maybeReady).toBe(false);
    ready.close();
  });

  it('a short answer of an earlier fetch changes nothing while a later one is out; the later one decides', () => {
    const { ready } = watch();
    const first = ready.fetching();
    const second = ready.fetching();
    ready.fetched(first, true);
    expect(ready.maybeReady).toBe(true);
    ready.fetched(second, false);
    expect(ready.maybeReady).toBe(true);
    const third = ready.fetching();
    ready.fetched(third, true);
    expect(ready.maybeReady).toBe(false);
    ready.close();
  });

  it('a notification after a fetch went out makes its short answer stale; one before it does not', () => {
    const { ready, notify, wakes } = watch();
    const seq = ready.fetching();
    notify();
    expect(wakes()).toBe(1);
    ready.fetched(seq, true);
    expect(ready.maybeReady).toBe(true);
    notify();
    const next = ready.fetching();
    ready.fetched(next, true);
    expect(ready.maybeReady).toBe(false);
    ready.close();
  });
});
