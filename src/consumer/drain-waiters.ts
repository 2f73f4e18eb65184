import type { PendingSettles } from './pending-settles.ts';

/**
 * Waiters for a consumer's drain: "no handler runs and every settle
 * reached the driver". Each wait is scoped: it can be cancelled with its
 * own signal, and whatever it was asked to close when done belongs to it
 * alone (see {@link DrainWaiters.wait}).
 * @internal
 */
export class DrainWaiters {
  readonly #waiters = new Set<() => void>();

  /**
   * Resolves once `running()` is 0 and `settles` is empty, then runs
   * `onDrained` (which closes the subscription that was current when the
   * wait began). An aborted `signal` resolves the wait without `onDrained`,
   * so a drain that ends late can never touch what came after it.
   */
  wait(running: () => number, settles: PendingSettles, onDrained: () => void, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const check = (): void => {
        this.#waiters.delete(check);
        if (signal?.aborted) return resolve();
        if (running() > 0) {
          this.#waiters.add(check);
          return;
        }
        if (settles.size > 0) {
          void settles.settled().then(check);
          return;
        }
        onDrained();
        resolve();
      };
      signal?.addEventListener('abort', check, { once: true });
      check();
    });
  }

  /** Lets every waiter look again (a handler finished or was detached). */
  wake(): void {
    if (this.#waiters.size > 0) for (const w of [...this.#waiters]) w();
  }
}
