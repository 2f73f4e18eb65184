import type { RedisConnection } from './redis-connection.ts';

/** Safety net for a lost wake-up notification: an idle consumer with credit re-checks this often. @internal */
export const IDLE_RECHECK_MS = 2000;

/** Longest delay a Node timer takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Whether a queue's ready list may hold messages, as far as one consumer
 * can tell without asking Redis. A fetch that comes back short means the
 * list was empty, so the consumer sleeps until the queue's notify channel
 * says it became non-empty (published by every push onto an empty list):
 * no polling on the hot path. Fetches are numbered as they go out, and
 * Redis runs them in that order: a short answer is stale when a later
 * fetch is still out (that one's answer is newer) or when a notification
 * arrived after the fetch went out. A re-check every
 * {@link IDLE_RECHECK_MS} covers a notification lost with a connection.
 *
 * Delayed messages: each fetch reply says when the queue's next delayed
 * message is due, and so does a notification when a newly delayed message
 * becomes the earliest. One timer, for the earliest due time heard of,
 * wakes the consumer then: an idle consumer neither polls for delayed
 * messages nor misses one. A timer that fires early (another consumer took
 * that message, or the clocks round differently) costs one fetch, whose
 * reply sets the next timer.
 * @internal
 */
export class ReadyWatch {
  /** False after a short fetch, until notified or re-checked. */
  maybeReady = true;
  readonly #wake: () => void;
  /** Number of the last fetch sent (fetches are numbered from 1). */
  #sent = 0;
  /** Number of the last fetch sent when the latest notification arrived. */
  #notifiedAfter = 0;
  #recheck: ReturnType<typeof setTimeout> | undefined;
  #dueTimer: ReturnType<typeof setTimeout> | undefined;
  /** When {@link ReadyWatch.#dueTimer} fires (`Date.now()` ms). */
  #dueAt = 0;
  #unlisten: (() => void) | undefined;

  /** `wake` is called whenever messages may have arrived (the consumer pumps). */
  constructor(wake: () => void) {
    this.#wake = wake;
  }

  /** Starts listening on the queue's notify channel. */
  listen(connection: RedisConnection, channel: string): void {
    this.#unlisten = connection.listen(channel, (message) => {
      if (message !== '') {
        const ms = Number(message);
        // A delayed message became the earliest; another program's text counts as a plain wake-up.
        if (Number.isFinite(ms) && ms >= 0) return this.due(ms);
      }
      this.#notified();
    });
  }

  /** Messages may be there now: fetch, and do not trust a short answer of a fetch already out. */
  #notified(): void {
    this.#notifiedAfter = this.#sent;
    this.maybeReady = true;
    this.#wake();
  }

  /** A fetch is going out: returns its number, for {@link ReadyWatch.fetched}. */
  fetching(): number {
    return ++this.#sent;
  }

  /**
   * Fetch `seq` came back; `short` when it brought fewer than asked for.
   * Only a short answer that is the newest word on the list, with no
   * notification since it went out, puts the consumer to sleep.
   */
  fetched(seq: number, short: boolean): void {
    if (!short || seq < this.#sent || this.#notifiedAfter >= seq) return;
    this.maybeReady = false;
    this.armRecheck();
  }

  /** Looks again after {@link IDLE_RECHECK_MS} (also after a failed fetch). */
  armRecheck(): void {
    if (this.#recheck) return;
    this.#recheck = setTimeout(() => {
      this.#recheck = undefined;
      this.maybeReady = true;
      this.#wake();
    }, IDLE_RECHECK_MS);
    this.#recheck.unref?.();
  }

  /**
   * A delayed message is due in `ms` (-1: none waits). Keeps the earlier of
   * this and the timer already set, so a late or reordered report never
   * postpones a wake-up.
   */
  due(ms: number): void {
    if (ms < 0) return;
    // A Node timer takes at most 2^31 - 1 ms (longer fires at once); waking early is harmless.
    ms = Math.min(ms, MAX_TIMER_MS);
    const at = Date.now() + ms;
    if (this.#dueTimer && this.#dueAt <= at) return;
    clearTimeout(this.#dueTimer);
    this.#dueAt = at;
    this.#dueTimer = setTimeout(() => {
      this.#dueTimer = undefined;
      this.#notified();
    }, ms);
    this.#dueTimer.unref?.();
  }

  /** Stops the re-check and due timers (the consumer stops fetching). */
  stopRecheck(): void {
    clearTimeout(this.#recheck);
    this.#recheck = undefined;
    clearTimeout(this.#dueTimer);
    this.#dueTimer = undefined;
  }

  /** Stops listening and re-checking. */
  close(): void {
    this.stopRecheck();
    this.#unlisten?.();
    this.#unlisten = undefined;
  }
}
