import type { RedisConnection } from './redis-connection.ts';

/** Safety net for a lost wake-up notification: an idle consumer with credit re-checks this often. */
const IDLE_RECHECK_MS = 2000;

/**
 * Whether a queue's ready list may hold messages, as far as one consumer
 * can tell without asking Redis. A fetch that comes back short means the
 * list was empty, so the consumer sleeps until the queue's notify channel
 * says it became non-empty (published by every push onto an empty list):
 * no polling on the hot path. A notification that arrives while a fetch is
 * in flight makes that fetch's short answer stale; a re-check every
 * {@link IDLE_RECHECK_MS} covers a notification lost with a connection.
 * @internal
 */
export class ReadyWatch {
  /** False after a short fetch, until notified or re-checked. */
  maybeReady = true;
  readonly #wake: () => void;
  #inFlight = false;
  /** A notification arrived while a fetch was in flight. */
  #dirty = false;
  #recheck: ReturnType<typeof setTimeout> | undefined;
  #unlisten: (() => void) | undefined;

  /** `wake` is called whenever messages may have arrived (the consumer pumps). */
  constructor(wake: () => void) {
    this.#wake = wake;
  }

  /** Starts listening on the queue's notify channel. */
  listen(connection: RedisConnection, channel: string): void {
    this.#unlisten = connection.listen(channel, () => {
      if (this.#inFlight) this.#dirty = true;
      this.maybeReady = true;
      this.#wake();
    });
  }

  /** A fetch is going out. */
  fetching(): void {
    this.#inFlight = true;
    this.#dirty = false;
  }

  /** The fetch came back; `short` when it brought fewer than asked for. */
  fetched(short: boolean): void {
    this.#inFlight = false;
    if (!short) return;
    this.maybeReady = this.#dirty;
    if (!this.#dirty) this.armRecheck();
  }

  /** Looks again after {@link IDLE_RECHECK_MS} (also after a failed fetch). */
  armRecheck(): void {
    this.#inFlight = false;
    if (this.#recheck) return;
    this.#recheck = setTimeout(() => {
      this.#recheck = undefined;
      this.maybeReady = true;
      this.#wake();
    }, IDLE_RECHECK_MS);
    this.#recheck.unref?.();
  }

  /** Stops the re-check timer (the consumer stops fetching). */
  stopRecheck(): void {
    clearTimeout(this.#recheck);
    this.#recheck = undefined;
  }

  /** Stops listening and re-checking. */
  close(): void {
    this.stopRecheck();
    this.#unlisten?.();
    this.#unlisten = undefined;
  }
}
