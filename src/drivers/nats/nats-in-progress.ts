import type { NatsDelivery } from './nats-delivery.ts';

/** What the timer watches and whom it tells. @internal */
export interface InProgressHooks {
  /** Deliveries held now (buffered or being handled). */
  held(): Iterable<NatsDelivery>;
  /** Reports one delivery in progress (`+WPI`), when connected. */
  touch(d: NatsDelivery): void;
  /** Whether the pull requests have been silent too long at `now` (`performance.now()`). */
  silent(now: number): boolean;
  /** Called when {@link InProgressHooks.silent} says so. */
  lost(): void;
}

/**
 * One timer per consumption, for two slow checks: every held delivery
 * older than half of `ack_wait` (since it came, or since its last report)
 * is reported in progress, so JetStream does not hand it to another
 * consumer while a long handler still works on it; and pull requests that
 * stopped sending heartbeats are declared lost. It ticks every eighth of
 * `ack_wait` (at most every `heartbeatMs / 2`), so a report goes out
 * between half and five eighths of `ack_wait`, well before it runs out.
 * Nothing here runs per message. @internal
 */
export class InProgressTimer {
  readonly #half: number;
  readonly #period: number;
  readonly #hooks: InProgressHooks;
  #timer: NodeJS.Timeout | undefined;

  constructor(ackWait: number, heartbeatMs: number, hooks: InProgressHooks) {
    this.#half = ackWait / 2;
    this.#period = Math.max(50, Math.min(ackWait / 8, heartbeatMs / 2));
    this.#hooks = hooks;
  }

  /** Starts ticking (idempotent). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), this.#period);
    // Held messages are not a reason to keep the process alive.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const now = performance.now();
    for (const d of this.#hooks.held()) {
      if (now - d.touched < this.#half) continue;
      d.touched = now;
      this.#hooks.touch(d);
    }
    if (this.#hooks.silent(now)) this.#hooks.lost();
  }
}
