import { Deque } from './deque.ts';

/** A run of items inside an array the queue does not copy until it has to. */
interface Chunk<T> {
  readonly items: readonly T[];
  start: number;
  end: number;
  /** The queue made `items` for single pushes, so it may append to it. */
  readonly owned: boolean;
}

/** Single pushes share one array up to this many items, then start another. */
const OWNED_CHUNK_ITEMS = 512;

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
    this.#chunks.push({ items, start, end, owned: false });
    this.#length += end - start;
  }

  /**
   * Appends one item: into the tail chunk when the queue made it for single
   * items, so that a run of single pushes costs an array slot each, not an
   * array and a chunk each.
   */
  push(item: T): void {
    const tail = this.#chunks.peekLast();
    if (tail !== undefined && tail.owned && tail.end < OWNED_CHUNK_ITEMS) {
      (tail.items as T[]).push(item);
      tail.end++;
    } else this.#chunks.push({ items: [item], start: 0, end: 1, owned: true });
    this.#length++;
  }

  /** Puts `items` at the head, in their order. */
  unshiftAll(items: readonly T[]): void {
    if (items.length === 0) return;
    this.#chunks.unshift({ items, start: 0, end: items.length, owned: false });
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
    // Across chunks: sized up front and filled by index. Pushing grew the
    // array two or three times per batch, and this path is the usual one
    // when publishers wait for room (they are admitted in pieces the size of
    // the credit freed, which rarely line up with the consumers' batches).
    const out: T[] = new Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks.peek()!;
      const k = Math.min(n - filled, chunk.end - chunk.start);
      const items = chunk.items;
      for (let i = chunk.start, end = chunk.start + k; i < end; i++) out[filled++] = items[i]!;
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
