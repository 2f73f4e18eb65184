import type { Delivery } from '../drivers/driver.ts';
import { Deque } from '../util/deque.ts';

const NONE: readonly Delivery[] = [];

/**
 * The consumer's prefetch buffer. It keeps the batch arrays the driver
 * delivered and reads through them with an index, instead of copying each
 * message into a queue of its own: one array read per message on the hot
 * path. Its size is bounded by the credit the consumer grants.
 */
export class PrefetchBuffer {
  readonly #batches = new Deque<readonly Delivery[]>();
  #head: readonly Delivery[] = NONE;
  #index = 0;
  #length = 0;

  /** Messages held. */
  get length(): number {
    return this.#length;
  }

  /** Appends a delivered batch (the buffer keeps the array). */
  pushBatch(batch: readonly Delivery[]): void {
    if (batch.length === 0) return;
    this.#batches.push(batch);
    this.#length += batch.length;
  }

  /** Takes the oldest message, or `undefined` when empty. */
  shift(): Delivery | undefined {
    if (this.#index < this.#head.length) {
      this.#length--;
      return this.#head[this.#index++];
    }
    const next = this.#batches.shift();
    if (next === undefined) {
      this.#head = NONE;
      this.#index = 0;
      return undefined;
    }
    this.#head = next;
    this.#index = 1;
    this.#length--;
    return next[0];
  }

  /** Removes and returns every message, oldest first. */
  drain(): Delivery[] {
    const out: Delivery[] = this.#head.slice(this.#index);
    for (let b = this.#batches.shift(); b !== undefined; b = this.#batches.shift()) for (const d of b) out.push(d);
    this.#head = NONE;
    this.#index = 0;
    this.#length = 0;
    return out;
  }
}
