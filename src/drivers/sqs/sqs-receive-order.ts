/** One receive call in {@link ReceiveOrder}. @internal */
export interface ReceiveSlot<T> {
  done: boolean;
  batch: T[] | undefined;
}

/**
 * Hands out the messages of concurrent receive calls in the order the
 * calls were issued, so a backlog comes out in the order SQS gave it. A
 * call that finished while an earlier one is still out (a long poll on a
 * queue that ran dry) waits at most `holdMs` for it: order is worth a few
 * milliseconds, not the length of a poll. @internal
 */
export class ReceiveOrder<T> {
  readonly #emit: (batch: T[]) => void;
  readonly #holdMs: number;
  #slots: ReceiveSlot<T>[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `emit` gets each finished call's non-empty batch. */
  constructor(emit: (batch: T[]) => void, holdMs: number) {
    this.#emit = emit;
    this.#holdMs = holdMs;
  }

  /** A place in line for a call about to be issued. */
  open(): ReceiveSlot<T> {
    const slot: ReceiveSlot<T> = { done: false, batch: undefined };
    this.#slots.push(slot);
    return slot;
  }

  /** A call finished (`batch` undefined when it failed or brought nothing to hand out). */
  finish(slot: ReceiveSlot<T>, batch: T[] | undefined): void {
    slot.done = true;
    slot.batch = batch;
    const slots = this.#slots;
    while (slots.length > 0 && slots[0]!.done) this.#out(slots.shift()!);
    if (slots.length > 1 && !this.#timer && slots.some((s) => s.done)) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, this.#holdMs);
    }
  }

  /** Hands out every finished call now; those still out keep their place. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const slots = this.#slots;
    for (const s of slots) if (s.done) this.#out(s);
    this.#slots = slots.filter((s) => !s.done);
  }

  #out(slot: ReceiveSlot<T>): void {
    const batch = slot.batch;
    slot.batch = undefined;
    if (batch && batch.length > 0) this.#emit(batch);
  }
}
