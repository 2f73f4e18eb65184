/**
 * A double-ended queue on a growable ring buffer.
 *
 * Message buffers use it instead of an array: `Array.prototype.shift` is
 * O(n), so a large backlog drained from the front turns quadratic, and
 * releasing messages to the head of a queue needs a cheap `unshift`.
 *
 * @example
 * ```ts
 * const d = new Deque<number>()
 * d.push(1); d.push(2); d.unshift(0)
 * d.shift() // 0
 * ```
 */
export class Deque<T> {
  #items: (T | undefined)[];
  #mask: number;
  #head = 0;
  #length = 0;

  constructor(initialCapacity = 16) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity <<= 1;
    this.#items = new Array(capacity);
    this.#mask = capacity - 1;
  }

  /** Number of items held. */
  get length(): number {
    return this.#length;
  }

  /** Appends at the tail. */
  push(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Inserts at the head. */
  unshift(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#head = (this.#head - 1) & this.#mask;
    this.#items[this.#head] = item;
    this.#length++;
  }

  /** Removes and returns the head, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    // Clear the slot so a delivered message can be collected once settled.
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    return item;
  }

  /** Returns the head without removing it. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** Returns the tail without removing it. */
  peekLast(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[(this.#head + this.#length - 1) & this.#mask];
  }

  /** Removes up to `count` items from the head into a new array. */
  take(count: number): T[] {
    const n = Math.min(count, this.#length);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.shift() as T;
    return out;
  }

  /** Removes everything, returning the items head first. */
  drain(): T[] {
    return this.take(this.#length);
  }

  /** Items from head to tail, without removing them. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#length; i++) yield this.#items[(this.#head + i) & this.#mask] as T;
  }

  #grow(): void {
    const old = this.#items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#length; i++) next[i] = old[(this.#head + i) & this.#mask];
    this.#items = next;
    this.#head = 0;
    this.#mask = next.length - 1;
  }
}
