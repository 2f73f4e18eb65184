import type { QueueKeys } from './redis-keys.ts';
import type { RedisDriver } from './redis-driver.ts';
import type { ScriptedRedis } from './redis-scripts.ts';

/**
 * What a consumer is to the queue's bookkeeping: `attached` (in the
 * holders and consumers sets), `holding` (cancelled, still settling what it
 * holds: holders only), or `none` (not started yet, or gone).
 */
export type Registration = 'attached' | 'holding' | 'none';

/**
 * One consumer's heartbeat: every third of `visibility_timeout` it records
 * the consumer in its queue's holders (and, while attached, consumers)
 * sets, and the same script call reaps consumers that went silent. The
 * driver also calls {@link ConsumerHeartbeat.register} on every fresh
 * connection before it counts as connected, since a server that came back
 * empty has lost both sets. @internal
 */
export class ConsumerHeartbeat {
  readonly #driver: RedisDriver;
  readonly #keys: QueueKeys;
  readonly #member: string;
  readonly #registration: () => Registration;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(driver: RedisDriver, keys: QueueKeys, member: string, registration: () => Registration) {
    this.#driver = driver;
    this.#keys = keys;
    this.#member = member;
    this.#registration = registration;
  }

  /** One heartbeat + reap on `cmd`; nothing when the consumer is not registered. */
  async register(cmd: ScriptedRedis): Promise<void> {
    const r = this.#registration();
    if (r === 'none') return;
    const k = this.#keys;
    await cmd.aqHeartbeat(k.holders, k.consumers, k.ready, k.meta, k.notify, k.procPrefix, this.#member, r === 'attached' ? 1 : 0, this.#driver.defaultVisibilityTimeout);
  }

  /** One beat on the current connection. Failures are fine: the next beat or a reconnect retries. */
  async beat(): Promise<void> {
    if (!this.#driver.connection.connected) return;
    try {
      await this.register(this.#driver.connection.cmd);
    } catch {
      // Connection trouble is the machine's business.
    }
  }

  /** Beats every third of `visibilityTimeout` ms until {@link ConsumerHeartbeat.stop}. */
  start(visibilityTimeout: number): void {
    this.#timer = setInterval(() => void this.beat(), Math.max(100, Math.floor(visibilityTimeout / 3)));
    this.#timer.unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
