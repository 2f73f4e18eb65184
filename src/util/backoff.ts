/** Exponential backoff settings, in milliseconds. */
export interface BackoffOptions {
  readonly initialDelay: number;
  readonly maxDelay: number;
  /** Growth per attempt (default 2). */
  readonly factor?: number;
  /** Fraction of the delay added or removed at random (default 0.1). */
  readonly jitter?: number;
}

/**
 * Delay before retry number `attempt` (1-based): `initialDelay * factor^(attempt-1)`,
 * capped at `maxDelay`, then spread by +/- `jitter` so that many clients
 * dropped at once do not reconnect in lockstep.
 *
 * @example
 * ```ts
 * backoffDelay(3, { initialDelay: 1000, maxDelay: 30000, jitter: 0 }) // 4000
 * ```
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.1;
  const base = Math.min(options.maxDelay, options.initialDelay * factor ** Math.max(0, attempt - 1));
  const spread = base * jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}
