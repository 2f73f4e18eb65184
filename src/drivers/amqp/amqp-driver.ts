import { setMaxListeners } from 'node:events';
import type { Observable } from 'rxjs';
import type { ConsumeOptions, Driver, DriverStatusEvent, PublishOptions, QueueDeclaration, QueueInfo } from '../driver.ts';
import type { Message } from '../../message/message.ts';
import { ConnectionSupervisor } from '../connection-supervisor.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { AbortedError, DriverUnavailableError } from '../../errors/lifecycle-errors.ts';
import { ConfigError } from '../../errors/config-error.ts';
import { silentLogger, type Logger } from '../../util/logger.ts';
import { amqpConsumerOptionsSchema, type AmqpDriverOptions } from './amqp-options.ts';
import { buildConnectArgs, type ConnectArgs } from './connect-options.ts';
import { AmqpSession } from './amqp-session.ts';
import { AmqpConsumption, type ConsumptionHost } from './amqp-consumption.ts';
import { isChannelClosedError, isNotFound } from './amqp-errors.ts';
import { scrubSecrets } from '../../util/scrub-secrets.ts';
import { delay, untilAborted } from '../../util/until-aborted.ts';
import { parkedQueueName, setAside, type SetAsideHost } from './set-aside.ts';
import { DelayQueues } from './delay-queues.ts';
import { MessageSender } from './message-sender.ts';
import { declareQueue } from './queue-declare.ts';
import type { AnyActorRef } from 'xstate';
import type { QueueAdmin } from '../queue-admin.ts';
import { amqpAdmin } from './amqp-admin.ts';

/** `basic.qos` when neither the consumer nor `prefetch_count` gives one (core default prefetch 10 + concurrency 1). */
const DEFAULT_QOS = 11;
/** AMQP's `basic.qos` prefetch-count is a 16-bit field. */
const MAX_QOS = 65_535;
/** How long `stop()` waits for a consumer's `basic.cancel` before closing the connection anyway. */
const CANCEL_WAIT_MS = 2_000;
/** How long `stop()` waits for the consumer channels' graceful close (settles applied) before closing the connection anyway. */
const CHANNEL_CLOSE_WAIT_MS = 2_000;

/** Optional collaborators of an {@link AmqpDriver}. */
export interface AmqpDriverDeps {
  /** Where connection events go. @default silentLogger */
  readonly logger?: Logger;
  /** Environment for `tls.*_env`. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Directory `file://` TLS paths are relative to (the driver entry's YAML file's). @default the working directory */
  readonly baseDir?: string;
}

/**
 * AMQP 0-9-1 driver (RabbitMQ) on amqplib.
 *
 * The connection lives in a {@link ConnectionSupervisor} (the connection
 * machine): a lost connection is re-opened with backoff, queues are
 * declared again and every live consumption is re-attached on a new
 * channel, with the same `deliveries` stream. Publishes use publisher
 * confirms and resolve only when the broker confirmed every message; while
 * the connection is down they wait up to `publish_timeout`, then fail with
 * a retryable `DRIVER_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const driver = new AmqpDriver('app:rabbit', amqpDriverSchema.parse({ url: 'amqp://localhost' }))
 * await driver.start()
 * await driver.declare({ id: 'app:tasks', name: 'tasks', options: amqpQueueOptionsSchema.parse({}) })
 * await driver.publish('tasks', [{ id: 'm1', body: { n: 1 }, headers: {} }])
 * ```
 */
export class AmqpDriver implements Driver {
  readonly id: string;
  readonly status$: Observable<DriverStatusEvent>;
  readonly #options: AmqpDriverOptions;
  readonly #args: ConnectArgs;
  readonly #logger: Logger;
  readonly #supervisor: ConnectionSupervisor;
  readonly #queues = new Map<string, QueueDeclaration>();
  readonly #consumptions = new Set<AmqpConsumption>();
  /** Delay queues used for delayed publishes and retry backoff (see `delay-ladder.ts`). */
  readonly #delays: DelayQueues;
  /** Publishes and the confirmed copies moves are made of. */
  readonly #sender: MessageSender;
  /** Aborted by `stop()`; a new one per start, since the driver can be started again. */
  #stopSignal = new AbortController();
  /** What consumptions call back into. */
  readonly #host: ConsumptionHost;
  #session: AmqpSession | undefined;
  /** Peek (take-and-return), purge and removal for operators (see `amqp-admin.ts`). */
  readonly admin: QueueAdmin = amqpAdmin({
    driverId: () => this.id,
    assertDeclared: (queue) => this.assertDeclared(queue),
    session: () => this.#liveSession(Date.now() + this.#options.publish_timeout),
    scrub: (error) => this.#scrub(error),
  });
  #generation = 0;
  #connecting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(id: string, options: AmqpDriverOptions, deps: AmqpDriverDeps = {}) {
    this.id = id;
    this.#options = options;
    this.#logger = deps.logger ?? silentLogger;
    this.#args = buildConnectArgs(options, id, deps.env, deps.baseDir);
    // Every publish waiting out a reconnect listens for stop (and removes its listener after).
    setMaxListeners(0, this.#stopSignal.signal);
    this.#supervisor = new ConnectionSupervisor(
      { connect: (attempt) => this.#connect(attempt), watch: (lost) => this.#watch(lost), disconnect: () => this.#disconnect() },
      { initialDelay: options.reconnect_delay, maxDelay: options.reconnect_max_delay },
      { id: `${id}.connection` },
    );
    this.status$ = this.#supervisor.status$;
    const setAsideHost: SetAsideHost = {
      driverId: id,
      logger: this.#logger,
      declaration: (queue) => this.#queues.get(queue),
      declareParked: async (queue) => {
        const session = await this.#liveSession(Date.now() + this.#options.publish_timeout);
        await session.assertQueue(queue, { durable: true, autoDelete: false, arguments: {} });
      },
      sendConfirmed: (queue, copy) => this.#sender.sendConfirmed(queue, copy),
    };
    this.#delays = new DelayQueues((queue) => this.#queues.get(queue)?.id ?? queue);
    this.#sender = new MessageSender(
      {
        driverId: id,
        publishTimeout: options.publish_timeout,
        liveSession: (deadline, signal) => this.#liveSession(deadline, signal),
        scrub: (error) => this.#scrub(error),
      },
      this.#delays,
      { messageTtl: options.default_message_ttl },
    );
    this.#host = {
      driverId: id,
      assertDeclared: (queue) => this.assertDeclared(queue),
      forget: (c) => void this.#consumptions.delete(c),
      publishCopy: (queue, d, headers, delayMs, deadLetter) => this.#sender.publishCopy(queue, d, headers, delayMs, deadLetter),
      setAside: (queue, d, reason) => setAside(setAsideHost, queue, d.raw, reason),
    };
  }

  /** State of the connection machine (`connecting`, `connected`, `reconnecting`, ...), for diagnostics. */
  get connectionState(): string {
    return this.#supervisor.state;
  }

  /** The broker URL with its password masked. */
  get displayUrl(): string {
    return this.#args.display;
  }

  async start(): Promise<void> {
    if (this.#stopping) {
      // Started again after a stop (runtime restart, or the lifecycle
      // restart policy): finish the stop, then begin a fresh run.
      await this.#stopping;
      this.#stopping = undefined;
      this.#stopSignal = new AbortController();
      setMaxListeners(0, this.#stopSignal.signal);
    }
    await this.#supervisor.open();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#stopSignal.abort();
    const cancels = [...this.#consumptions].map((c) => c.cancel().catch(() => undefined));
    await Promise.race([Promise.all(cancels), delay(CANCEL_WAIT_MS)]);
    // Settles (basic.ack / basic.nack) are buffered writes: amqplib muxes
    // every channel's buffer round-robin with the connection's own frames,
    // so a `connection.close` sent now can overtake acks still queued on a
    // consumer channel, and the broker ignores whatever follows it: those
    // acked messages would be redelivered (after a restart, to the same
    // consumer). Closing each consumer channel first and waiting for its
    // close-ok proves every settle issued so far was applied.
    const closes = [...this.#consumptions].map((c) => c.close().catch(() => undefined));
    await Promise.race([Promise.all(closes), delay(CHANNEL_CLOSE_WAIT_MS)]);
    await this.#supervisor.close();
    for (const c of this.#consumptions) c.end();
    this.#consumptions.clear();
    // The supervisor (and status$) stays: the driver may be started again.
  }

  async declare(queue: QueueDeclaration): Promise<void> {
    this.#assertNotStopped();
    this.#queues.set(queue.name, queue);
    const session = this.#session;
    if (!session || session.lost) return; // declared on the next connect
    try {
      await declareQueue(session, queue, this.#options);
    } catch (e) {
      if (session.lost || isChannelClosedError(e)) return;
      if (this.#queues.get(queue.name) === queue) this.#queues.delete(queue.name);
      throw e;
    }
  }

  async publish(queueName: string, messages: readonly Message[], options?: PublishOptions): Promise<void> {
    this.#assertNotStopped();
    this.assertDeclared(queueName);
    if (messages.length === 0) return;
    return this.#sender.publish(queueName, messages, options);
  }

  consume(queueName: string, options: ConsumeOptions): AmqpConsumption {
    this.#assertNotStopped();
    this.assertDeclared(queueName);
    const wanted = options.maxUnsettled > 0 ? options.maxUnsettled : (this.#options.prefetch_count ?? DEFAULT_QOS);
    const own = amqpConsumerOptionsSchema.parse(options.driverOptions ?? {});
    const consumption = new AmqpConsumption(this.#host, queueName, options.consumerId, Math.min(MAX_QOS, wanted), {
      ...(own.consumer_tag !== undefined ? { tag: own.consumer_tag } : {}),
      exclusive: own.exclusive,
      noLocal: own.no_local,
      autoAck: options.autoAck === true,
    });
    this.#consumptions.add(consumption);
    const session = this.#session;
    if (session && !session.lost) consumption.attach(session).catch((e) => this.#logger.warn('amqp consumer attach failed', { driver: this.id, queue: queueName, error: this.#scrub(e) }));
    return consumption;
  }

  /** Places the connection machine under the driver's actor (see `Driver.adopt`). */
  adopt(driverActor: AnyActorRef): void {
    this.#supervisor.adopt(driverActor, `${this.id}#connection`);
  }

  async info(queueName: string): Promise<QueueInfo> {
    this.#assertNotStopped();
    this.assertDeclared(queueName);
    const session = await this.#liveSession(Date.now() + this.#options.publish_timeout);
    let reply;
    try {
      reply = await session.checkQueue(queueName);
    } catch (e) {
      if (isNotFound(e)) throw new NotFoundError('queue', queueName, `driver ${this.id}: not on the broker`);
      throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.id}: info for ${queueName} failed: ${this.#scrub(e)}`, { cause: e });
    }
    let inFlight = 0;
    for (const c of this.#consumptions) if (c.queueName === queueName) inFlight += c.inFlight;
    // The broker's count excludes unacked messages; add the ones this process holds.
    const failed = (e: unknown): never => {
      throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.id}: info for ${queueName} failed: ${this.#scrub(e)}`, { cause: e });
    };
    const delayed = await this.#delays.count(session, queueName).catch(failed);
    const info = { message_count: reply.messageCount + inFlight, ready: reply.messageCount, in_flight: inFlight, consumer_count: reply.consumerCount, delayed };
    // Undecodable deliveries are parked only where no same-driver dead-letter queue takes them.
    if (this.#queues.get(queueName)?.deadLetterName !== undefined) return info;
    const parked = await session.messageCountIfExists(parkedQueueName(queueName)).catch(failed);
    return { ...info, parked };
  }

  /** @internal Throws {@link NotFoundError} unless `queueName` was declared on this driver. */
  assertDeclared(queueName: string): void {
    if (!this.#queues.has(queueName)) throw new NotFoundError('queue', queueName, `driver ${this.id}`);
  }

  /** The current session once the machine says `connected`, waiting until `deadline` at most. */
  async #liveSession(deadline: number, signal?: AbortSignal): Promise<AmqpSession> {
    for (;;) {
      this.#assertNotStopped();
      if (signal?.aborted) throw new AbortedError(`driver ${this.id}: publish aborted while waiting for the connection`, { cause: signal.reason });
      const session = this.#session;
      const state = this.#supervisor.state;
      if (session && !session.lost && state === 'connected') return session;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw this.#unavailable(`not connected to ${this.#args.display} (${state}) within ${this.#options.publish_timeout}ms`);
      // 'connected' with a lost session: the machine has not seen the loss yet; look again shortly.
      const wait = state === 'connected' ? delay(Math.min(10, remaining)) : this.#supervisor.whenConnected(remaining);
      await untilAborted(wait.catch(() => undefined), signal ? [this.#stopSignal.signal, signal] : [this.#stopSignal.signal]);
    }
  }

  async #connect(attempt: number): Promise<void> {
    const opening = this.#openSession(attempt);
    this.#connecting = opening;
    try {
      await opening;
    } finally {
      if (this.#connecting === opening) this.#connecting = undefined;
    }
  }

  async #openSession(attempt: number): Promise<void> {
    const old = this.#session;
    this.#session = undefined;
    if (old) void old.close(0);
    let session: AmqpSession;
    try {
      session = await AmqpSession.open(this.#args, ++this.#generation);
    } catch (e) {
      throw this.#unavailable(`cannot connect to ${this.#args.display}: ${this.#scrub(e)}`, e);
    }
    try {
      for (const q of this.#queues.values()) await declareQueue(session, q, this.#options);
      await this.#delays.redeclare(session, (source) => this.#queues.has(source));
      this.#session = session;
      // A Set's iterator also visits consumptions added while this loop awaits.
      for (const c of this.#consumptions) await c.attach(session);
    } catch (e) {
      if (this.#session === session) this.#session = undefined;
      await session.close(0);
      throw e instanceof ConfigError ? e : this.#unavailable(`setting up ${this.#args.display} failed: ${this.#scrub(e)}`, e);
    }
    if (attempt > 0) this.#logger.info('amqp reconnected', { driver: this.id, url: this.#args.display, attempt });
  }

  #watch(lost: (error?: unknown) => void): () => void {
    const session = this.#session;
    if (!session) {
      lost(new Error('no connection'));
      return () => undefined;
    }
    return session.onLost((error) => {
      this.#logger.warn('amqp connection lost', { driver: this.id, url: this.#args.display, error: this.#scrub(error) });
      lost(error);
    });
  }

  async #disconnect(): Promise<void> {
    // A connect still running must finish first, or its connection would outlive the close.
    await this.#connecting?.catch(() => undefined);
    const session = this.#session;
    this.#session = undefined;
    await session?.close();
  }

  #assertNotStopped(): void {
    if (this.#stopping) throw new DriverUnavailableError('DRIVER_STOPPED', `driver ${this.id} stopped`);
  }

  #unavailable(what: string, cause?: unknown): DriverUnavailableError {
    return new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.id}: ${what}`, cause === undefined ? undefined : { cause });
  }

  #scrub(error: unknown): string {
    return scrubSecrets(error instanceof Error ? error.message : String(error), this.#args.secrets);
  }
}
