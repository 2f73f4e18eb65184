import type { Logger } from '../../util/logger.ts';
import type { SqsDelivery } from './sqs-delivery.ts';

/** SQS keeps a receipt hidden for at most 12 hours from its receive. */
export const MAX_HIDDEN_MS = 12 * 3600 * 1000;
/** Kept from the 12 hours: the receive happened a little before the driver saw it. */
const HIDDEN_MARGIN_MS = 60_000;
/** Fastest tick, for short visibility timeouts. */
const MIN_TICK_MS = 250;

/**
 * Whole seconds a message received at `receivedAt` may still be hidden
 * (SQS refuses to hide it past 12 hours from its receive), 0 when none.
 */
export function hiddenBudgetSeconds(receivedAt: number, now = Date.now()): number {
  return Math.max(0, Math.floor((receivedAt + MAX_HIDDEN_MS - HIDDEN_MARGIN_MS - now) / 1000));
}

/**
 * Keeps the messages one consumer holds hidden from other consumers while
 * their handlers run: every quarter of the visibility timeout, a held
 * message with less than half of it left is hidden for a whole visibility
 * timeout again (one `ChangeMessageVisibilityBatch` per 10). A message
 * held close to 12 hours cannot be hidden longer; that is logged once.
 * @internal
 */
export class VisibilityHeartbeat {
  readonly #held: ReadonlySet<SqsDelivery>;
  readonly #visibilityMs: number;
  readonly #extend: (items: { readonly handle: string; readonly seconds: number }[]) => Promise<void>;
  readonly #logger: Logger;
  readonly #fields: Record<string, unknown>;
  #timer: ReturnType<typeof setInterval> | undefined;
  #warned = false;

  constructor(
    held: ReadonlySet<SqsDelivery>,
    visibilitySeconds: number,
    extend: (items: { readonly handle: string; readonly seconds: number }[]) => Promise<void>,
    logger: Logger,
    fields: Record<string, unknown>,
  ) {
    this.#held = held;
    this.#visibilityMs = visibilitySeconds * 1000;
    this.#extend = extend;
    this.#logger = logger;
    this.#fields = fields;
  }

  /** Starts ticking (idempotent). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.tick(), Math.max(MIN_TICK_MS, Math.floor(this.#visibilityMs / 4)));
    this.#timer.unref();
  }

  /** Stops ticking (idempotent). */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One round: extends what needs it. Exposed for tests. */
  tick(now = Date.now()): void {
    const vt = this.#visibilityMs;
    let items: { handle: string; seconds: number }[] | undefined;
    for (const d of this.#held) {
      if (d.visibleUntil - now >= vt / 2) continue;
      const seconds = Math.min(vt / 1000, hiddenBudgetSeconds(d.receivedAt, now));
      if (seconds <= 0 || d.visibleUntil >= now + seconds * 1000) {
        if (!this.#warned) {
          this.#warned = true;
          this.#logger.warn('sqs message held for nearly 12 hours: SQS hides it no longer, another consumer may receive it', { ...this.#fields, message_id: d.id });
        }
        continue;
      }
      d.visibleUntil = now + seconds * 1000;
      (items ??= []).push({ handle: d.receipt, seconds });
    }
    if (items) {
      this.#extend(items).catch((e: unknown) => this.#logger.warn('sqs visibility extension failed', { ...this.#fields, error: e instanceof Error ? e.message : String(e) }));
    }
  }
}
