import type { Logger } from '../util/logger.ts';

/**
 * Settles (ack, requeue, release, cancel) that a backend completes
 * asynchronously. The consumer waits for them before it reports itself
 * stopped, so a driver is never closed under an ack still on its way.
 * In-process drivers settle synchronously and never add anything here.
 */
export class PendingSettles {
  readonly #pending = new Set<Promise<void>>();
  readonly #logger: Logger;
  readonly #consumerId: string;
  /** The promise tracked last: drivers that settle a batch at once hand every message of it the same one. */
  #last: Promise<void> | undefined;

  constructor(consumerId: string, logger: Logger) {
    this.#consumerId = consumerId;
    this.#logger = logger;
  }

  /** How many are still on their way. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Follows `pending` (if any) until it settles; a failure is logged, not
   * thrown. The same promise given again in a row is followed once (one
   * wait, one log line for a failed batch), not once per message.
   */
  track(pending: void | Promise<void>): void {
    if (!pending || pending === this.#last) return;
    this.#last = pending;
    const p: Promise<void> = pending.then(
      () => void this.#pending.delete(p),
      (error: unknown) => {
        this.#pending.delete(p);
        this.#logger.error('settling a message failed; the backend will redeliver it', { consumer: this.#consumerId, error });
      },
    );
    this.#pending.add(p);
  }

  /** Resolves when everything tracked so far has settled. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}
