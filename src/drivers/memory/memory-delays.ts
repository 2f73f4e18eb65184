import type { Message } from '../../message/message.ts';
import { MinHeap } from '../../util/min-heap.ts';
import type { MemoryQueue } from './memory-queue.ts';

/** One delayed message: where it goes and when. */
interface Delayed {
  /** Due time on the monotonic clock (`performance.now()`), ms. */
  readonly due: number;
  /** Store order: equal due times come out first in, first out. */
  readonly seq: number;
  readonly queue: MemoryQueue;
  readonly message: Message;
}

/**
 * Most messages moved to ready per timer callback: a great many falling due
 * at once are moved in slices, with the event loop free in between.
 */
const MOVE_LIMIT = 4096;

const earlier = (a: Delayed, b: Delayed): boolean => a.due < b.due || (a.due === b.due && a.seq < b.seq);

/**
 * The delayed messages of one memory driver (delayed publishes and retry
 * backoffs), all queues together in one min-heap by due time, with a single
 * timer set for the earliest. When it fires, every message now due goes to
 * the tail of its queue's ready list, in due order, and that queue's pump is
 * asked to run. Nothing polls, and a waiting message holds no credit and
 * blocks nobody: it is not in the ready list until it is due.
 *
 * The timer is unref'd: delayed messages alone never keep a process alive
 * (a process that runs the runtime keeps itself alive, as `actorq run` does).
 * `pause()` (driver stop) clears the timer and keeps every message;
 * `resume()` (start) sets it again, and what fell due meanwhile moves at once.
 */
export class MemoryDelays {
  readonly #heap = new MinHeap<Delayed>(earlier);
  readonly #onDue: (queue: MemoryQueue) => void;
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Due time the timer is set for (Infinity: none). */
  #timerDue = Infinity;
  #paused = false;
  readonly #fire = () => this.#moveDue();

  /** @param onDue called for each queue that received due messages (the driver schedules its pump). */
  constructor(onDue: (queue: MemoryQueue) => void) {
    this.#onDue = onDue;
  }

  /** Messages waiting, all queues together. */
  get size(): number {
    return this.#heap.size;
  }

  /** Stores `messages[from, to)` for `queue`, due `delayMs` (> 0) from now. */
  add(queue: MemoryQueue, messages: readonly Message[], from: number, to: number, delayMs: number): void {
    const due = performance.now() + delayMs;
    for (let i = from; i < to; i++) this.#heap.push({ due, seq: this.#seq++, queue, message: messages[i]! });
    queue.delayed += to - from;
    this.#arm();
  }

  /** Stops the timer; the messages stay. */
  pause(): void {
    this.#paused = true;
    this.#clear();
  }

  /** Sets the timer again (for the earliest message, which may be overdue). */
  resume(): void {
    this.#paused = false;
    this.#arm();
  }

  /** Sets the timer for the earliest message, unless one is already set at least as early. */
  #arm(): void {
    const head = this.#heap.peek();
    if (this.#paused || head === undefined || head.due >= this.#timerDue) return;
    this.#clear();
    this.#timerDue = head.due;
    // Rounded up: a timer may fire up to a millisecond early, and then the
    // check in #moveDue sets it again rather than delivering early.
    this.#timer = setTimeout(this.#fire, Math.max(0, Math.ceil(head.due - performance.now())));
    this.#timer.unref();
  }

  #clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
  }

  #moveDue(): void {
    this.#timer = undefined;
    this.#timerDue = Infinity;
    if (this.#paused) return;
    const now = performance.now();
    let moved = 0;
    let last: MemoryQueue | undefined;
    for (let head = this.#heap.peek(); head !== undefined && head.due <= now && moved < MOVE_LIMIT; head = this.#heap.peek()) {
      this.#heap.pop();
      head.queue.delayed--;
      head.queue.ready.push(head.message);
      moved++;
      // Pumps are deduplicated per queue; this only skips the call for runs of one queue.
      if (head.queue !== last) this.#onDue((last = head.queue));
    }
    this.#arm();
  }
}
