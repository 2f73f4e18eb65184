/** What the sweeper reads of one worker. */
export interface TimedWorker {
  /** When its current handler started (ms, `performance.now()`). */
  readonly startedAt: number;
}

/**
 * Enforces a consumer's per-message `timeout` with one interval timer for
 * the whole pool, instead of a timer per message: it looks at each worker a
 * few times per timeout and reports the ones past it.
 */
export class HandlerTimeouts<T extends TimedWorker> {
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * Starts sweeping `workers` every quarter of `timeout` (10 ms to 1 s);
   * `onExpired` is called once per sweep for each worker that `isRunning`
   * says holds a message and whose handler started `timeout` ago or more.
   */
  start(workers: readonly T[], timeout: number, isRunning: (worker: T) => boolean, onExpired: (worker: T) => void): void {
    this.stop();
    const period = Math.max(10, Math.min(1000, Math.floor(timeout / 4)));
    this.#timer = setInterval(() => {
      const now = performance.now();
      for (const w of workers) if (isRunning(w) && now - w.startedAt >= timeout) onExpired(w);
    }, period);
    // Never keep the process alive just to watch for slow handlers.
    this.#timer.unref?.();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
