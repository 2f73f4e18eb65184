import { Redis } from 'ioredis';
import { ConnectionSupervisor } from '../connection-supervisor.ts';
import { DriverUnavailableError } from '../../errors/lifecycle-errors.ts';
import type { Logger } from '../../util/logger.ts';
import { clientOptions, describeTarget } from './redis-client-options.ts';
import type { RedisDriverOptions } from './redis-kind.ts';
import { defineScripts, type ScriptedRedis } from './redis-scripts.ts';

/**
 * The two connections of one Redis driver, run by a
 * {@link ConnectionSupervisor}: a command connection (auto-pipelined
 * scripts, publishes, settles) and a subscriber connection (wake-up
 * notifications; a subscribed connection cannot run commands).
 *
 * The connection machine is the only truth about connectivity. ioredis's
 * own reconnect is off; each `connect` hook builds fresh clients, and the
 * first `close` of either one reports `connection.lost`, so the machine
 * goes `reconnecting` -> `connecting` with its backoff.
 *
 * A reconnect may reach a server that lost everything (restarted without
 * persistence, or a failover to an empty replica), so each connect runs the
 * driver's `restore` hook on the new command client before the machine
 * says `connected`: nothing uses the connection until its queues exist.
 */
export class RedisConnection {
  readonly supervisor: ConnectionSupervisor;
  /** Printable target, password masked. */
  readonly target: string;
  readonly #options: RedisDriverOptions;
  readonly #logger: Logger;
  readonly #name: string;
  readonly #channels = new Map<string, Set<(message: string) => void>>();
  readonly #restore: (cmd: ScriptedRedis) => Promise<void>;
  #cmd: ScriptedRedis | undefined;
  #sub: Redis | undefined;

  /**
   * `restore` re-creates on a fresh connection whatever the driver relies on
   * (declared queues, consumer registrations); if it fails the connect
   * fails, and the machine retries with backoff.
   */
  constructor(name: string, options: RedisDriverOptions, logger: Logger, restore: (cmd: ScriptedRedis) => Promise<void> = async () => {}) {
    this.#name = name;
    this.#restore = restore;
    this.#options = options;
    this.#logger = logger;
    this.target = describeTarget(options);
    this.supervisor = new ConnectionSupervisor(
      { connect: (a) => this.#connect(a), watch: (lost) => this.#watch(lost), disconnect: () => this.#disconnect() },
      { initialDelay: options.reconnect_delay, maxDelay: options.reconnect_max_delay },
      { id: name },
    );
  }

  /** Whether the machine is `connected` now. */
  get connected(): boolean {
    return this.supervisor.state === 'connected';
  }

  /** The command client. Throws DRIVER_UNAVAILABLE while disconnected. */
  get cmd(): ScriptedRedis {
    if (!this.#cmd || !this.connected) throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `redis ${this.target} is not connected`);
    return this.#cmd;
  }

  /**
   * Calls `listener` with every message on `channel` until the returned
   * function is called. Subscriptions survive reconnects.
   */
  listen(channel: string, listener: (message: string) => void): () => void {
    let set = this.#channels.get(channel);
    if (!set) {
      set = new Set();
      this.#channels.set(channel, set);
      if (this.connected) this.#sub?.subscribe(channel).catch(() => {}); // a reconnect re-subscribes
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#channels.get(channel) === set) {
        this.#channels.delete(channel);
        if (this.connected) this.#sub?.unsubscribe(channel).catch(() => {});
      }
    };
  }

  async #connect(attempt: number): Promise<void> {
    const { url, options } = clientOptions(this.#options, this.#name);
    const make = (role: string) => {
      const o = { ...options, connectionName: `${this.#name}:${role}`.replace(/\s/g, '_') };
      const client = url ? new Redis(url, o) : new Redis(o);
      // ioredis emits 'error' for every socket problem; the machine learns of
      // losses through 'close', so errors are only logged here.
      client.on('error', (e: Error) => this.#logger.debug('redis connection error', { target: this.target, error: e.message }));
      return client;
    };
    const cmd = defineScripts(make('cmd'));
    const sub = make('sub');
    try {
      await Promise.all([cmd.connect(), sub.connect()]);
      sub.on('message', (channel: string, message: string) => {
        const set = this.#channels.get(channel);
        if (set) for (const l of set) l(message);
      });
      if (this.#channels.size > 0) await sub.subscribe(...this.#channels.keys());
    } catch (e) {
      cmd.disconnect();
      sub.disconnect();
      const message = e instanceof Error ? e.message : String(e);
      throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `cannot connect to redis ${this.target}${attempt ? ` (attempt ${attempt})` : ''}: ${message}`, { cause: e });
    }
    try {
      await this.#restore(cmd);
    } catch (e) {
      cmd.disconnect();
      sub.disconnect();
      const message = e instanceof Error ? e.message : String(e);
      throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `connected to redis ${this.target} but could not restore its queues: ${message}`, { cause: e });
    }
    this.#cmd = cmd;
    this.#sub = sub;
    this.#logger.info(attempt ? 'redis reconnected' : 'redis connected', { driver: this.#name, target: this.target });
  }

  #watch(lost: (error?: unknown) => void): () => void {
    const cmd = this.#cmd!;
    const sub = this.#sub!;
    let done = false;
    const onClose = () => {
      if (done) return;
      done = true;
      this.#logger.warn('redis connection lost', { driver: this.#name, target: this.target });
      // Drop both: a half-open pair would deliver notifications for a
      // connection whose commands fail, or the reverse.
      cmd.disconnect();
      sub.disconnect();
      lost(new DriverUnavailableError('DRIVER_UNAVAILABLE', `connection to redis ${this.target} lost`));
    };
    cmd.once('close', onClose);
    sub.once('close', onClose);
    // A client may have closed between connect and watch.
    if (cmd.status === 'end' || sub.status === 'end') queueMicrotask(onClose);
    return () => {
      done = true;
      cmd.off('close', onClose);
      sub.off('close', onClose);
    };
  }

  async #disconnect(): Promise<void> {
    const clients = [this.#cmd, this.#sub];
    this.#cmd = undefined;
    this.#sub = undefined;
    await Promise.all(
      clients.map(async (c) => {
        if (!c) return;
        try {
          await Promise.race([c.quit(), new Promise((r) => setTimeout(r, 1000))]);
        } catch {
          // Already closed: nothing to do.
        }
        c.disconnect();
      }),
    );
  }
}
