/** One receive call in {@link ReceiveOrder}. @internal */
export interface ReceiveSlot<T> {
  done: boolean;
  batch: T[] | undefined;
  /** When the call was issued (`performance.now()`). */
  readonly issuedAt: number;
  /** Once finished: until when it waits for earlier calls. */
  releaseAt: number;
}

/** The longest a call that found a backlog waits for an earlier one. */
const MAX_BACKLOG_HOLD_MS = 1000;

/**
 * Hands out the messages of concurrent receive calls in the order the
 * calls were issued, so a backlog comes out in the order SQS gave it.
 *
 * A call that finished while an earlier one is still out waits for it, but
 * not for the length of a poll: an earlier call may be a long poll on a
 * queue that ran dry. How long depends on what the finished call saw. One
 * that brought fewer messages than it asked for met an empty queue: it
 * waits `holdMs`. One that brought all it asked for met a backlog, so the
 * earlier call found messages too and is only slower on the way back (a
 * busy process reads responses late): it waits twice its own round trip,
 * at least `holdMs`, at most a second. @internal
 */
export class ReceiveOrder<T> {
  readonly #emit: (batch: T[]) => void;
  readonly #holdMs: number;
  readonly #now: () => number;
  #slots: ReceiveSlot<T>[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the pending timer fires (`#now()` time). */
  #timerAt = 0;

  /** `emit` gets each finished call's non-empty batch; `now` is the clock (tests pass their own). */
  constructor(emit: (batch: T[]) => void, holdMs: number, now: () => number = () => performance.now()) {
    this.#emit = emit;
    this.#holdMs = holdMs;
    this.#now = now;
  }

  /** A place in line for a call about to be issued. */
  open(): ReceiveSlot<T> {
    const slot: ReceiveSlot<T> = { done: false, batch: undefined, issuedAt: this.#now(), releaseAt: 0 };
    this.#slots.push(slot);
    return slot;
  }

  /**
   * A call finished: `batch` is undefined when it failed or brought nothing
   * to hand out; `backlog` says it brought every message it asked for.
   */
  finish(slot: ReceiveSlot<T>, batch: T[] | undefined, backlog = false): void {
    slot.done = true;
    slot.batch = batch;
    const now = this.#now();
    slot.releaseAt = now + (backlog ? Math.min(MAX_BACKLOG_HOLD_MS, Math.max(this.#holdMs, 2 * (now - slot.issuedAt))) : this.#holdMs);
    const slots = this.#slots;
    while (slots.length > 0 && slots[0]!.done) this.#out(slots.shift()!);
    // Re-timed on every finish from the calls still waiting: a timer set for
    // calls already out would cut short the hold of the next ones.
    this.#arm(now);
  }

  /** Times the hand-out of calls waiting behind the head: when the last one's hold ends. */
  #arm(now: number): void {
    let until = -1;
    for (const s of this.#slots) if (s.done && s.batch && s.batch.length > 0 && s.releaseAt > until) until = s.releaseAt;
    if (until < 0) return this.#cancelTimer();
    if (this.#timer && this.#timerAt === until) return;
    this.#cancelTimer();
    this.#timerAt = until;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, until - now);
  }

  /** Hands out every finished call now; those still out keep their place. */
  flush(): void {
    this.#cancelTimer();
    const slots = this.#slots;
    for (const s of slots) if (s.done) this.#out(s);
    this.#slots = slots.filter((s) => !s.done);
  }

  #cancelTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #out(slot: ReceiveSlot<T>): void {
    const batch = slot.batch;
    slot.batch = undefined;
    if (batch && batch.length > 0) this.#emit(batch);
  }
}
