/**
 * How long one clock reading serves the early messages due at the same
 * time. Messages of one batch arrive within milliseconds; the bound keeps
 * a late straggler from inheriting a reading that would hold it back long.
 */
const REUSE_MS = 1_000;

/**
 * The clock a consumption counts the rest of a delay from when it hands
 * an early message back (`-NAK` with a delay).
 *
 * Messages due at the same time (one delayed batch) are counted from one
 * reading, so they all get the same delay: the server reads the naks in
 * the order they were sent, and brings the messages back in that order.
 * Read afresh for each one, `Date.now()` crossing a millisecond mid-batch
 * gave the later ones a millisecond less, and the server brought them
 * back first. A reading never lies in the future, so a delay counted
 * from an older one is only longer: never early.
 *
 * @internal
 */
export class NakClock {
  #due = 0;
  #at = 0;
  readonly #now: () => number;

  /** @param now The wall clock in ms (`Date.now` by default). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Ms until `due` (ms since the epoch), counted from the reading shared by everything due then. */
  remaining(due: number): number {
    const now = this.#now();
    if (due !== this.#due || now - this.#at > REUSE_MS) {
      this.#due = due;
      this.#at = now;
    }
    return due - this.#at;
  }
}
