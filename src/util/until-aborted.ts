/** Resolves after `ms`, without keeping the process alive. */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Resolves when `wait` settles or any signal aborts, removing its listeners either way. */
export function untilAborted(wait: Promise<unknown>, signals: readonly AbortSignal[]): Promise<void> {
  if (signals.some((s) => s.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      for (const s of signals) s.removeEventListener('abort', done);
      resolve();
    };
    for (const s of signals) s.addEventListener('abort', done, { once: true });
    void wait.then(done);
  });
}
