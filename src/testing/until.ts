/**
 * Waits until `check` passes: calls it (it may be async) until it neither
 * throws nor returns `false`, then resolves; after `timeoutMs` rejects with
 * its last error. Meant for assertions (`until(() => expect(x).toBe(1))`):
 * a test waits for a condition, never for a fixed time.
 *
 * @example
 * ```ts
 * await until(() => expect(t.state('app:consumer')).toBe('running'))
 * ```
 */
export async function until(check: () => unknown, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await check()) !== false) return;
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms: ${String(check)}`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
