import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { ConnectionSupervisor } from '../connection-supervisor.ts';
import { DriverUnavailableError } from '../../errors/lifecycle-errors.ts';
import { ConfigError } from '../../errors/config-error.ts';
import type { Logger } from '../../util/logger.ts';
import type { NatsDriverOptions } from './nats-options.ts';
import { connectOptions, describeTarget, type NatsTarget } from './nats-connect-options.ts';
import { scrubSecrets } from '../../util/scrub-secrets.ts';

/**
 * One live connection: the NATS connection and its JetStream handles. A
 * reconnect makes a new session; whatever was bound to the old one (a
 * pull subscription) is set up again on the new one.
 */
export interface NatsSession {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Counts sessions of this driver: tells a stale session from the current one. */
  readonly generation: number;
}

/**
 * The connection of one NATS driver, run by a {@link ConnectionSupervisor}:
 * the connection machine is the only truth about connectivity. The nats.js
 * client's own reconnect is off; a lost socket closes the client, which
 * reports `connection.lost`, and the machine goes `reconnecting` ->
 * `connecting` with its backoff, each attempt building a fresh client.
 *
 * A reconnect may reach a server that lost the queue's stream or consumer
 * (a memory-stored stream after a restart, a stream deleted by hand), so
 * every connect runs the driver's `restore` hook before the machine says
 * `connected`: nothing uses the connection until its streams and consumers
 * exist. JetStream still recovering after a server restart fails the hook,
 * and the machine tries again after its backoff.
 */
export class NatsConnector {
  readonly supervisor: ConnectionSupervisor;
  readonly target: NatsTarget;
  readonly #options: NatsDriverOptions;
  readonly #logger: Logger;
  readonly #name: string;
  readonly #restore: (session: NatsSession) => Promise<void>;
  #session: NatsSession | undefined;
  #generation = 0;

  constructor(name: string, options: NatsDriverOptions, logger: Logger, restore: (session: NatsSession) => Promise<void>) {
    this.#name = name;
    this.#options = options;
    this.#logger = logger;
    this.#restore = restore;
    this.target = describeTarget(options);
    this.supervisor = new ConnectionSupervisor(
      { connect: (a) => this.#connect(a), watch: (lost) => this.#watch(lost), disconnect: () => this.#disconnect() },
      { initialDelay: options.reconnect_delay, maxDelay: options.reconnect_max_delay },
      { id: `${name}.connection` },
    );
  }

  /** The live session while the machine is `connected`, else `undefined`. */
  get session(): NatsSession | undefined {
    const s = this.#session;
    return s && this.supervisor.state === 'connected' && !s.nc.isClosed() ? s : undefined;
  }

  /** An error message with every secret of the configuration masked. */
  scrub(error: unknown): string {
    return scrubSecrets(error instanceof Error ? error.message : String(error), this.target.secrets);
  }

  async #connect(attempt: number): Promise<void> {
    let nc: NatsConnection;
    try {
      nc = await connect(connectOptions(this.#options, this.#name));
    } catch (e) {
      throw this.#unavailable(`cannot connect to nats ${this.target.display}${attempt ? ` (attempt ${attempt})` : ''}: ${this.scrub(e)}`, e);
    }
    let session: NatsSession;
    try {
      const timeout = this.#options.request_timeout;
      const jsm = await jetstreamManager(nc, { timeout });
      session = { nc, js: jetstream(nc, { timeout }), jsm, generation: ++this.#generation };
      await this.#restore(session);
    } catch (e) {
      await nc.close().catch(() => undefined);
      if (e instanceof ConfigError) throw e;
      throw this.#unavailable(`connected to nats ${this.target.display} but could not set up JetStream: ${this.scrub(e)}`, e);
    }
    this.#session = session;
    this.#logger.info(attempt ? 'nats reconnected' : 'nats connected', { driver: this.#name, target: this.target.display });
  }

  #watch(lost: (error?: unknown) => void): () => void {
    const session = this.#session;
    if (!session) {
      lost(this.#unavailable('no connection'));
      return () => undefined;
    }
    let watching = true;
    void session.nc.closed().then((error) => {
      if (!watching) return;
      watching = false;
      const why = error ? `: ${this.scrub(error)}` : '';
      this.#logger.warn('nats connection lost', { driver: this.#name, target: this.target.display, ...(why ? { error: why.slice(2) } : {}) });
      lost(this.#unavailable(`connection to nats ${this.target.display} lost${why}`, error ?? undefined));
    });
    return () => {
      watching = false;
    };
  }

  async #disconnect(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (!session || session.nc.isClosed()) return;
    // Consumptions drained their inboxes before this (a drain ends with a
    // flush), and what they wrote after it went to the socket synchronously.
    await session.nc.close().catch(() => undefined);
  }

  #unavailable(message: string, cause?: unknown): DriverUnavailableError {
    return new DriverUnavailableError('DRIVER_UNAVAILABLE', message, cause === undefined ? undefined : { cause });
  }
}
