/** Most entries SQS takes in one batch call (SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch). */
export const SQS_BATCH_LIMIT = 10;

/**
 * Coalesces single settles of one kind (deletes, visibility changes) into
 * batch calls of up to 10: what is added during one event-loop turn goes
 * out together at its end, and a full batch goes out at once. Every item
 * of a batch shares that batch's promise, so an ack costs no promise of
 * its own. `send` does the call, including its retries. @internal
 *
 * @example
 * ```ts
 * const deletes = new SettleBatcher<string>((handles) => deleteBatch(handles))
 * await deletes.add(receiptHandle)
 * ```
 */
export class SettleBatcher<T> {
  readonly #send: (items: T[]) => Promise<void>;
  #items: T[] = [];
  #next: Promise<void> | undefined;
  #resolve: (() => void) | undefined;
  #reject: ((e: unknown) => void) | undefined;
  #scheduled = false;
  readonly #outstanding = new Set<Promise<void>>();

  constructor(send: (items: T[]) => Promise<void>) {
    this.#send = send;
  }

  /** Queues `item`; resolves when its batch call succeeded. */
  add(item: T): Promise<void> {
    this.#items.push(item);
    const batch = (this.#next ??= this.#open());
    if (this.#items.length >= SQS_BATCH_LIMIT) this.#go();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        if (this.#items.length > 0) this.#go();
      });
    }
    return batch;
  }

  /** Resolves when every item added so far has been sent (or failed). */
  async flush(): Promise<void> {
    if (this.#items.length > 0) this.#go();
    await Promise.allSettled([...this.#outstanding]);
  }

  #open(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#outstanding.add(p);
    // Marked handled: a caller that does not await a settle must not crash
    // the process; callers that do still see the rejection.
    p.catch(() => {}).finally(() => this.#outstanding.delete(p));
    return p;
  }

  #go(): void {
    const items = this.#items;
    const resolve = this.#resolve!;
    const reject = this.#reject!;
    this.#items = [];
    this.#next = undefined;
    this.#send(items).then(resolve, reject);
  }
}
