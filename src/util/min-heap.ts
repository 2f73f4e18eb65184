/**
 * A binary min-heap: `push` and `pop` in O(log n), `peek` in O(1). The order
 * is the caller's `less`; items that compare equal come out in no
 * particular order, so a caller that needs FIFO among equals breaks ties
 * itself (e.g. with a sequence number).
 *
 * @example
 * ```ts
 * const heap = new MinHeap<number>((a, b) => a < b)
 * heap.push(3); heap.push(1)
 * heap.pop() // 1
 * ```
 */
export class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  get size(): number {
    return this.#items.length;
  }

  /** The smallest item, or `undefined` when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const a = this.#items;
    let i = a.length;
    a.push(item);
    // Sift up: move the hole towards the root while the parent is larger.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent]!;
      if (!this.#less(item, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = item;
  }

  /** Removes and returns the smallest item, or `undefined` when empty. */
  pop(): T | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    // Sift down: the last item fills the root's hole, then sinks.
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.#less(a[r]!, a[l]!) ? r : l;
      if (!this.#less(a[child]!, last)) break;
      a[i] = a[child]!;
      i = child;
    }
    a[i] = last;
    return top;
  }
}
