import { Deque } from './deque.ts';

/** A run of items inside an array the queue does not copy until it has to. */
interface Chunk<T> {
  readonly items: readonly T[];
  start: number;
  readonly end: number;
}

/**
 * A FIFO of items stored as the arrays they arrived in. Publishing a batch
 * of 500 messages keeps one reference instead of pushing 500 entries, and
 * taking a delivery batch is one `slice` instead of a shift per message.
 * Single items (requeues) and releases at the head work too.
 *
 * The caller hands arrays over: they must not be changed afterwards.
 *
 * @example
 * ```ts
 * const q = new ChunkQueue<number>()
 * q.pushAll([1, 2, 3]); q.push(4)
 * q.take(3) // [1, 2, 3]
 * ```
 */
export class ChunkQueue<T> {
  readonly #chunks = new Deque<Chunk<T>>();
  #length = 0;

  /** Items held. */
  get length(): number {
    return this.#length;
  }

  /** Appends `items[start..end)` without copying. */
  pushAll(items: readonly T[], start = 0, end = items.length): void {
    if (end <= start) return;
    this.#chunks.push({ items, start, end });
    this.#length += end - start;
  }

  /** Appends one item. */
  push(item: T): void {
    this.pushAll([item]);
  }

  /** Puts `items` at the head, in their order. */
  unshiftAll(items: readonly T[]): void {
    if (items.length === 0) return;
    this.#chunks.unshift({ items, start: 0, end: items.length });
    this.#length += items.length;
  }

  /** Removes up to `count` items from the head into a new array. */
  take(count: number): T[] {
    const n = Math.min(count, this.#length);
    const first = this.#chunks.peek();
    if (first && first.end - first.start >= n) {
      // The common case: the whole batch lies in one chunk.
      const out = first.items.slice(first.start, first.start + n);
      this.#consume(first, n);
      return out;
    }
    const out: T[] = [];
    while (out.length < n) {
      const chunk = this.#chunks.peek()!;
      const k = Math.min(n - out.length, chunk.end - chunk.start);
      for (let i = 0; i < k; i++) out.push(chunk.items[chunk.start + i]!);
      this.#consume(chunk, k);
    }
    return out;
  }

  /** Items from head to tail, without removing them. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (const chunk of this.#chunks) for (let i = chunk.start; i < chunk.end; i++) yield chunk.items[i]!;
  }

  #consume(chunk: Chunk<T>, n: number): void {
    chunk.start += n;
    this.#length -= n;
    if (chunk.start === chunk.end) this.#chunks.shift();
  }
}
