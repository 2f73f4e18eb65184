import type { Observable } from 'rxjs';
import { ReplyError } from 'ioredis';
import type { ConsumeOptions, Driver, DriverStatusEvent, PublishOptions, QueueDeclaration, QueueInfo } from '../driver.ts';
import type { Message } from '../../message/message.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { ConfigError } from '../../errors/config-error.ts';
import { DriverUnavailableError } from '../../errors/lifecycle-errors.ts';
import { silentLogger, type Logger } from '../../util/logger.ts';
import { DEFAULT_VISIBILITY_TIMEOUT_MS, redisQueueOptionsSchema, type RedisDriverOptions } from './redis-kind.ts';
import { queueKeys, type QueueKeys } from './redis-keys.ts';
import { RedisConnection } from './redis-connection.ts';
import { RedisConsumption } from './redis-consumption.ts';
import { publishToRedis } from './redis-publish.ts';
import type { ScriptedRedis } from './redis-scripts.ts';
import { RedisDeclarations } from './redis-declarations.ts';
import type { AnyActorRef } from 'xstate';
import type { QueueAdmin } from '../queue-admin.ts';
import { redisAdmin } from './redis-admin.ts';

/** What a consumer needs to know about its queue (see {@link RedisDriver.settingsOf}). @internal */
export interface QueueSettings {
  /** Registry ID of the queue where this process declared it, else its backend name (for `x_original_queue`). */
  readonly queueId: string;
  /** `visibility_timeout` in ms. */
  readonly visibilityTimeout: number;
  /** Backend name of the same-driver dead-letter queue, if any. */
  readonly deadLetterName: string | undefined;
}

/** Pause before retrying a settle that failed on a connection that has not yet reported its loss. */
const SETTLE_RETRY_MS = 50;

/**
 * Driver for queues kept in Redis, shared by any number of processes.
 *
 * Per queue: a `ready` LIST of encoded messages, a `delayed` ZSET of
 * messages waiting for their due time, a `meta` HASH (the declaration), and
 * per consumer a processing HASH of what it holds, kept alive by
 * heartbeats. Every move is one Lua script, so a message is in
 * exactly one of those places at any time and leaves Redis only on ack.
 * Entries another program wrote are dead-lettered or parked, never
 * delivered or dropped; a server that comes back empty gets its queues
 * declared again before anything uses the connection. See `docs/redis-driver.md` for the design and its guarantees.
 *
 * @example
 * ```ts
 * const driver = new RedisDriver('app:redis', redisDriverOptionsSchema.parse({ url: 'redis://127.0.0.1:6379' }))
 * await driver.start()
 * await driver.declare({ id: 'app:tasks', name: 'tasks', options: {} })
 * await driver.publish('tasks', [{ id: '1', body: { a: 1 }, headers: {} }])
 * ```
 */
export class RedisDriver implements Driver {
  readonly id: string;
  readonly status$: Observable<DriverStatusEvent>;
  /** @internal */
  readonly connection: RedisConnection;
  /** Peek, purge and removal for operators (see `redis-admin.ts`). */
  readonly admin: QueueAdmin = redisAdmin(this);
  /** @internal Visibility timeout used when a queue's metadata lacks one. */
  readonly defaultVisibilityTimeout = DEFAULT_VISIBILITY_TIMEOUT_MS;
  readonly #options: RedisDriverOptions;
  readonly #logger: Logger;
  readonly #declared: RedisDeclarations;
  readonly #consumptions = new Set<RedisConsumption>();

  constructor(id: string, options: RedisDriverOptions, env: { logger?: Logger } = {}) {
    this.id = id;
    this.#options = options;
    this.#logger = env.logger ?? silentLogger;
    this.#declared = new RedisDeclarations(this);
    // Before a (re)connect counts as connected: queues, then consumer registrations.
    this.connection = new RedisConnection(id, options, this.#logger, async (cmd) => {
      await this.#declared.restoreAll(cmd);
      await Promise.all([...this.#consumptions].map((c) => c.register(cmd)));
    });
    this.status$ = this.connection.supervisor.status$;
    // Every entry into `connected` (first connect or reconnect) restarts consumers.
    this.status$.subscribe((e) => {
      if (e.type === 'connected') for (const c of this.#consumptions) c.resume();
    });
  }

  /** Places the connection machine under the driver's actor (see `Driver.adopt`). */
  adopt(driverActor: AnyActorRef): void {
    this.connection.supervisor.adopt(driverActor, `${this.id}#connection`);
  }

  /** Where the driver connects, password masked. */
  get target(): string {
    return this.connection.target;
  }

  async start(): Promise<void> {
    const state = this.connection.supervisor.state;
    if (state === 'connected' || state === 'connecting' || state === 'reconnecting') return;
    await this.connection.supervisor.open();
  }

  async stop(): Promise<void> {
    const state = this.connection.supervisor.state;
    if (state === 'closed' || state === 'idle') return;
    // Hand back whatever consumers still hold while the connection is up.
    await Promise.all([...this.#consumptions].map((c) => c.close().catch(() => {})));
    await this.connection.supervisor.close();
  }

  async declare(queue: QueueDeclaration): Promise<void> {
    redisQueueOptionsSchema.parse(queue.options);
    await this.#whenUsable();
    try {
      await this.#declared.declare(this.connection.cmd, queue);
    } catch (e) {
      if (!(e instanceof ReplyError)) throw e;
      // Another program keeps something else under the queue's key: a naming clash, not an outage.
      const message = `redis refused to declare queue "${queue.name}": ${(e as Error).message} at ${this.keysOf(queue.name).meta}; choose another queue_name or key_prefix, or remove that key`;
      throw new ConfigError([{ entryId: queue.id, field: 'queue_name', message }]);
    }
  }

  publish(queueName: string, messages: readonly Message[], options?: PublishOptions): Promise<void> {
    return publishToRedis(this, queueName, messages, options?.signal, options?.delayMs);
  }

  consume(queueName: string, options: ConsumeOptions): RedisConsumption {
    const c = new RedisConsumption(this, queueName, options.consumerId, this.keysOf(queueName));
    this.#consumptions.add(c);
    return c;
  }

  /**
   * Figures of a queue. Rejects at once with a retryable
   * `DRIVER_UNAVAILABLE` while the connection is not up: a health check
   * must neither hang nor report a queue it cannot reach.
   */
  async info(queueName: string): Promise<QueueInfo> {
    this.#assertConnected(queueName);
    const k = this.keysOf(queueName);
    const ask = () => this.connection.cmd.aqInfo(k.meta, k.ready, k.holders, k.consumers, k.parked, k.delayed, k.procPrefix, this.defaultVisibilityTimeout);
    let r = await ask();
    if (r[0] === -1 && (await this.restoreQueue(queueName))) r = await ask();
    if (r[0] === -1) throw new NotFoundError('queue', queueName, `driver ${this.id}`);
    const [ready, inFlight, consumers, expired, parked, delayed] = r as [number, number, number, number, number, number];
    return { message_count: ready + inFlight, ready, in_flight: inFlight, consumer_count: consumers, parked, delayed, expired };
  }

  /** @internal Keys of a queue under this driver's prefix. */
  keysOf(queueName: string): QueueKeys {
    return queueKeys(this.#options.key_prefix, queueName);
  }

  /** @internal Where the driver's log lines go. */
  get logger(): Logger {
    return this.#logger;
  }

  /** @internal Highest processing-hash token this process handed out on a queue. */
  lastTokenOf(queueName: string): number {
    let last = 0;
    for (const c of this.#consumptions) if (c.queueName === queueName && c.lastToken > last) last = c.lastToken;
    return last;
  }

  /**
   * @internal What a consumer needs to know about its queue: from this
   * process's declaration, else from the queue's `meta` (declared by
   * another process); NotFoundError if neither.
   */
  async settingsOf(queueName: string): Promise<QueueSettings> {
    const local = this.#declared.get(queueName);
    if (local) {
      const vt = redisQueueOptionsSchema.parse(local.options).visibility_timeout;
      return { queueId: local.id, visibilityTimeout: vt, deadLetterName: local.deadLetterName };
    }
    await this.#whenUsable();
    const [vt, dl] = await this.connection.cmd.hmget(this.keysOf(queueName).meta, 'visibility_timeout', 'dead_letter');
    if (vt === null) throw new NotFoundError('queue', queueName, `driver ${this.id}`);
    return { queueId: queueName, visibilityTimeout: Number(vt) || this.defaultVisibilityTimeout, deadLetterName: dl || undefined };
  }

  /**
   * @internal Declares a queue of this process again when the server lost
   * it while the connection stayed up (a `FLUSHALL`, a proxy in front of a
   * failover). False for a queue this process never declared.
   */
  restoreQueue(queueName: string): Promise<boolean> {
    return this.#declared.restoreOne(this.connection.cmd, queueName);
  }

  /**
   * @internal Runs an idempotent settle, retrying it after reconnects until
   * it gets a reply; fails with DRIVER_STOPPED once the driver stops.
   */
  async settle<T>(op: (client: ScriptedRedis) => Promise<T>): Promise<T> {
    for (;;) {
      await this.#whenUsable(Infinity);
      try {
        return await op(this.connection.cmd);
      } catch (e) {
        if (this.isFatal(e)) throw e;
        await new Promise((r) => setTimeout(r, SETTLE_RETRY_MS));
      }
    }
  }

  /** @internal Whether an error is Redis refusing a command (not a connection problem). */
  isFatal(e: unknown): boolean {
    return e instanceof ReplyError || e instanceof NotFoundError || (e instanceof DriverUnavailableError && e.code === 'DRIVER_STOPPED');
  }

  /** @internal A consumption that has left its queue for good. */
  forget(c: RedisConsumption): void {
    this.#consumptions.delete(c);
  }

  /**
   * @internal Resolves once the connection machine is `connected`, waiting
   * through `connecting`/`reconnecting` for up to `timeoutMs`
   * (`publish_timeout` by default). Rejects at once when stopped or failed.
   */
  async whenUsable(timeoutMs?: number): Promise<void> {
    return this.#whenUsable(timeoutMs);
  }

  /** Throws at once unless connected: DRIVER_STOPPED once stopped, else a retryable DRIVER_UNAVAILABLE naming the state. */
  #assertConnected(queueName: string): void {
    const sup = this.connection.supervisor;
    const state = sup.state;
    if (state === 'connected') return;
    if (state === 'closed' || state === 'closing') throw new DriverUnavailableError('DRIVER_STOPPED', `driver ${this.id} stopped`);
    const why = sup.lastError instanceof Error ? ` (last error: ${sup.lastError.message})` : '';
    const where = state === 'idle' ? 'is not started' : state === 'failed' ? `cannot reach redis ${this.target}` : `is ${state} to redis ${this.target}`;
    throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.id} ${where}: queue ${queueName} cannot be used until it is connected${why}`, { cause: sup.lastError });
  }

  async #whenUsable(timeoutMs = this.#options.publish_timeout): Promise<void> {
    const sup = this.connection.supervisor;
    const deadline = Date.now() + timeoutMs;
    // Only reached while not connected: a short poll of the machine's state
    // notices connect, stop and failure alike without a waiter per call.
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      const state = sup.state;
      if (state === 'connected') return;
      if (state === 'closed' || state === 'closing') throw new DriverUnavailableError('DRIVER_STOPPED', `driver ${this.id} stopped`);
      if (state === 'idle') throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.id} not started`);
      if (state === 'failed') throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.id} cannot reach redis ${this.target}`, { cause: sup.lastError });
      if (Date.now() >= deadline) throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `redis ${this.target} unavailable for ${timeoutMs}ms`, { cause: sup.lastError });
      await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(1, deadline - Date.now()))));
    }
  }
}
