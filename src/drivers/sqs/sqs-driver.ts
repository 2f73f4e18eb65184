import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Observable } from 'rxjs';
import type { AnyActorRef } from 'xstate';
import type { ConsumeOptions, Driver, DriverStatusEvent, PublishOptions, QueueDeclaration, QueueInfo } from '../driver.ts';
import type { Message } from '../../message/message.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { DriverUnavailableError } from '../../errors/lifecycle-errors.ts';
import { ActorqError } from '../../errors/actorq-error.ts';
import { silentLogger, type Logger } from '../../util/logger.ts';
import { sqsConsumerOptionsSchema, sqsQueueOptionsSchema, type SqsDriverOptions } from './sqs-kind.ts';
import { SqsConnection, type SqsSend } from './sqs-connection.ts';
import { SqsQueues, type SqsQueue } from './sqs-queues.ts';
import { SqsConsumption, type ConsumptionHost } from './sqs-consumption.ts';
import { publishToSqs } from './sqs-publish.ts';
import { setAside } from './sqs-set-aside.ts';
import { isQueueMissing, isTransient } from './sqs-errors.ts';
import type { UndecodableMessage } from './sqs-codec.ts';
import type { QueueAdmin } from '../queue-admin.ts';
import { sqsAdmin } from './sqs-admin.ts';

/** Optional collaborators of an {@link SqsDriver}. */
export interface SqsDriverDeps {
  /** Where connection events and set-asides are logged. @default silentLogger */
  readonly logger?: Logger;
  /** Environment for `AWS_REGION` / `AWS_DEFAULT_REGION`. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** Pause before retrying a settle that failed while the endpoint still answers probes. */
const SETTLE_RETRY_MS = 100;

/**
 * Driver for Amazon SQS and servers speaking its API, compatible on the
 * wire with Wippy's SQS driver (body: the JSON text; headers: message
 * attributes under their own names, typed as Wippy types them), so both can
 * share a queue. Retries, delays and dead-lettering work as on every
 * actorq driver: attempts are SQS's receive count, delays are
 * `DelaySeconds` or visibility timeouts (longer ones in 15-minute steps),
 * dead-letters and set-asides are copies confirmed before the original is
 * deleted. See `docs/sqs-driver.md`.
 *
 * @example
 * ```ts
 * const driver = new SqsDriver('app:sqs', sqsDriverSchema.parse({ endpoint: 'http://127.0.0.1:4566', access_key_id: 'x', secret_access_key: 'y' }))
 * await driver.start()
 * await driver.declare({ id: 'app:tasks', name: 'tasks', options: {} })
 * await driver.publish('tasks', [{ id: 'm1', body: { n: 1 }, headers: {} }])
 * ```
 */
export class SqsDriver implements Driver {
  readonly id: string;
  readonly status$: Observable<DriverStatusEvent>;
  /** @internal */
  readonly connection: SqsConnection;
  /** @internal */
  readonly queues: SqsQueues;
  readonly #options: SqsDriverOptions;
  readonly #logger: Logger;
  readonly #consumptions = new Set<SqsConsumption>();
  readonly #host: ConsumptionHost;
  #stopping: Promise<void> | undefined;
  /** Peek (take-and-return), purge and removal for operators, by receive and delete (see `sqs-admin.ts`). */
  readonly admin: QueueAdmin;

  /** @throws ConfigError when no region is given (entry field `region`, or AWS_REGION). */
  constructor(id: string, options: SqsDriverOptions, deps: SqsDriverDeps = {}) {
    this.id = id;
    this.#options = options;
    this.#logger = deps.logger ?? silentLogger;
    this.queues = new SqsQueues(id, options);
    this.connection = new SqsConnection(id, options, this.#logger, (send) => this.queues.redeclareAll(send), deps.env);
    this.status$ = this.connection.supervisor.status$;
    // Every entry into `connected` (first probe or after an outage) restarts receiving.
    this.status$.subscribe((e) => {
      if (e.type === 'connected') for (const c of this.#consumptions) c.resume();
    });
    this.#host = {
      driverId: id,
      logger: this.#logger,
      connection: this.connection,
      queues: this.queues,
      settle: (op) => this.settle(op),
      setAside: (queue: SqsQueue, m: UndecodableMessage) => setAside(this.#host, queue, m),
      forget: (c) => void this.#consumptions.delete(c),
    };
    this.admin = sqsAdmin({
      driverId: id,
      logger: this.#logger,
      queues: this.queues,
      call: (op, queueName) => this.#call(op, this.#options.publish_timeout, queueName),
    });
  }

  /** Places the connection machine under the driver's actor (see `Driver.adopt`). */
  adopt(driverActor: AnyActorRef): void {
    this.connection.supervisor.adopt(driverActor, `${this.id}#connection`);
  }

  /** @internal Consumptions not yet finished (cancelled ones stay until they hold nothing and no receive is out). */
  get openConsumptions(): number {
    return this.#consumptions.size;
  }

  /** Region and endpoint, never credentials. */
  get target(): string {
    return this.connection.target;
  }

  async start(): Promise<void> {
    if (this.#stopping) {
      // Started again after a stop (a runtime restart, a restart policy).
      await this.#stopping;
      this.#stopping = undefined;
    }
    const state = this.connection.supervisor.state;
    if (state === 'connected' || state === 'connecting' || state === 'reconnecting') return;
    await this.connection.supervisor.open();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const state = this.connection.supervisor.state;
    if (state === 'connected' || state === 'reconnecting' || state === 'connecting') {
      // Give back what consumers still hold and flush settles while the endpoint is usable.
      await Promise.all([...this.#consumptions].map((c) => c.close().catch(() => {})));
    }
    await this.connection.supervisor.close();
    this.#consumptions.clear();
  }

  async declare(queue: QueueDeclaration): Promise<void> {
    this.#assertNotStopped();
    // Checked before any call: inside one, a bad option would read as an unreachable endpoint.
    sqsQueueOptionsSchema.parse(queue.options);
    await this.#call((send) => this.queues.declare(send, queue), this.#options.publish_timeout);
  }

  async publish(queueName: string, messages: readonly Message[], options?: PublishOptions): Promise<void> {
    this.#assertNotStopped();
    const queue = this.queues.require(queueName);
    if (messages.length === 0) return;
    await publishToSqs({ driverId: this.id, connection: this.connection, publishTimeout: this.#options.publish_timeout }, queue, messages, options?.delayMs ?? 0, options?.signal, options?.dedupeKey);
  }

  /** `options.driverOptions` (a consumer's `driver_options.sqs`) may set its own `visibility_timeout` and `wait_time`. */
  consume(queueName: string, options: ConsumeOptions): SqsConsumption {
    this.#assertNotStopped();
    const queue = this.queues.require(queueName);
    const receive = options.driverOptions ? sqsConsumerOptionsSchema.parse(options.driverOptions) : {};
    const c = new SqsConsumption(this.#host, queue, receive);
    this.#consumptions.add(c);
    return c;
  }

  /**
   * Figures of a queue from SQS's approximate counts: `ready` (visible),
   * `in_flight` (received, not deleted; also messages waiting out a retry
   * delay), `delayed` (`DelaySeconds` not over), `consumer_count` (this
   * process's consumers: SQS does not know consumers), and `parked` when
   * the queue has no dead-letter queue on this driver. Rejects at once with
   * a retryable DRIVER_UNAVAILABLE while the endpoint does not answer.
   */
  async info(queueName: string): Promise<QueueInfo> {
    this.#assertNotStopped();
    const queue = this.queues.require(queueName);
    if (!this.connection.connected) {
      throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.id}: ${this.target} is ${this.connection.supervisor.state}: no figures for ${queueName}`);
    }
    const counts = await this.#counts(queue.url, queueName);
    let consumers = 0;
    for (const c of this.#consumptions) if (c.queue === queue && c.active) consumers++;
    const info = { message_count: counts.ready + counts.inFlight, ready: counts.ready, in_flight: counts.inFlight, delayed: counts.delayed, consumer_count: consumers };
    if (queue.declaration.deadLetterName !== undefined && this.queues.get(queue.declaration.deadLetterName)) return info;
    const parkedUrl = await this.#call((send) => this.queues.existingParkedUrl(send, queueName), 0);
    if (parkedUrl === undefined) return { ...info, parked: 0 };
    const parked = await this.#counts(parkedUrl, queueName);
    return { ...info, parked: parked.ready + parked.inFlight + parked.delayed };
  }

  /**
   * @internal Runs a settle call until it gets an answer, through outages
   * (it waits for the connection machine to say `connected`); rejects with
   * DRIVER_STOPPED once the driver stops, or with any refusal.
   */
  async settle<T>(op: (send: SqsSend) => Promise<T>): Promise<T> {
    for (;;) {
      await this.connection.whenUsable(Infinity);
      try {
        return await op(this.connection.send);
      } catch (e) {
        if (!isTransient(e) && !(e instanceof DriverUnavailableError && e.code === 'DRIVER_UNAVAILABLE')) throw e;
        if (this.connection.connected) await new Promise((r) => setTimeout(r, SETTLE_RETRY_MS));
      }
    }
  }

  /** Approximate counts of a queue URL. */
  async #counts(url: string, queueName: string): Promise<{ ready: number; inFlight: number; delayed: number }> {
    const r = await this.#call(
      (send) =>
        send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
          }),
        ),
      0,
      queueName,
    );
    const n = (key: string) => {
      const v = Number((r.Attributes as Record<string, string> | undefined)?.[key]);
      return Number.isFinite(v) && v > 0 ? v : 0;
    };
    return { ready: n('ApproximateNumberOfMessages'), inFlight: n('ApproximateNumberOfMessagesNotVisible'), delayed: n('ApproximateNumberOfMessagesDelayed') };
  }

  /**
   * One call, waiting up to `timeoutMs` for an unreachable endpoint and
   * trying again after each outage; a missing queue is NotFoundError, an
   * outage past the wait DRIVER_UNAVAILABLE.
   */
  async #call<T>(op: (send: SqsSend) => Promise<T>, timeoutMs: number, queueName?: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.connection.whenUsable(Math.max(0, deadline - Date.now()));
      try {
        return await op(this.connection.send);
      } catch (e) {
        if (queueName !== undefined && isQueueMissing(e)) throw new NotFoundError('queue', queueName, `driver ${this.id}: not on SQS`);
        const retry = isTransient(e) || (e instanceof DriverUnavailableError && e.code === 'DRIVER_UNAVAILABLE');
        if (!retry) throw e instanceof ActorqError ? e : this.#refused(e);
        if (Date.now() >= deadline) throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.id}: ${this.target} did not answer: ${this.connection.describe(e)}`);
        if (this.connection.connected) await new Promise((r) => setTimeout(r, SETTLE_RETRY_MS));
      }
    }
  }

  #refused(e: unknown): DriverUnavailableError {
    return new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.id}: SQS refused the call: ${this.connection.describe(e)}`);
  }

  #assertNotStopped(): void {
    if (this.#stopping) throw new DriverUnavailableError('DRIVER_STOPPED', `driver ${this.id} stopped`);
  }
}
