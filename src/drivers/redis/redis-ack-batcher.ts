import type { RedisDriver } from './redis-driver.ts';

/**
 * Collects acks of one consumer and removes them with one `HDEL` per
 * event-loop turn: a busy consumer acks hundreds of messages per turn, and
 * one command with many fields costs Redis little more than one with one.
 * Every ack of a turn shares the promise of that flush. @internal
 */
export class AckBatcher {
  readonly #driver: RedisDriver;
  readonly #proc: string;
  #tokens: number[] = [];
  #next: Promise<void> | undefined;
  readonly #outstanding = new Set<Promise<void>>();

  constructor(driver: RedisDriver, proc: string) {
    this.#driver = driver;
    this.#proc = proc;
  }

  /** Queues `token` for removal; resolves when its batch is gone from Redis. */
  add(token: number): Promise<void> {
    this.#tokens.push(token);
    if (this.#next) return this.#next;
    const batch = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.#next = undefined;
        const tokens = this.#tokens;
        this.#tokens = [];
        // HDEL is idempotent, so a retry after a reconnect is harmless.
        this.#driver.settle((c) => c.hdel(this.#proc, ...tokens.map(String))).then(() => resolve(), reject);
      });
    });
    this.#next = batch;
    this.#outstanding.add(batch);
    // Marked handled: a caller that does not await an ack must not crash the
    // process; callers that do await still see the rejection.
    batch.catch(() => {}).finally(() => this.#outstanding.delete(batch));
    return batch;
  }

  /** Resolves when every ack added so far has been flushed (or failed). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#outstanding]);
  }
}
