import { setMaxListeners } from 'node:events';
import type { Observable } from 'rxjs';
import type { AnyActorRef } from 'xstate';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { ConsumeOptions, Driver, DriverStatusEvent, PublishOptions, QueueDeclaration, QueueInfo } from '../driver.ts';
import type { Headers, Message } from '../../message/message.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { InvalidMessageError } from '../../errors/message-errors.ts';
import { AbortedError, DriverUnavailableError } from '../../errors/lifecycle-errors.ts';
import { ActorqError } from '../../errors/actorq-error.ts';
import { silentLogger, type Logger } from '../../util/logger.ts';
import type { NatsDriverOptions } from './nats-options.ts';
import { NatsConnector, type NatsSession } from './nats-connection.ts';
import { NatsDeclarations, type DeclaredQueue } from './nats-declarations.ts';
import { NatsConsumption, type ConsumptionHost, type CopyKind } from './nats-consumption.ts';
import type { NatsDelivery } from './nats-delivery.ts';
import { parseAckSubject } from './nats-delivery.ts';
import { copyHeaders, encodeMessage } from './nats-codec.ts';
import { sendConfirmed, type Outgoing, type PublishHost } from './nats-publish.ts';
import { checkedDelay, classify } from './nats-errors.ts';
import type { AsideTarget } from './nats-set-aside.ts';
import type { QueueAdmin } from '../queue-admin.ts';
import { natsAdmin } from './nats-admin.ts';
import type { QueuePlace } from './nats-names.ts';
import { NatsParking } from './nats-parking.ts';
import { queueInfo } from './nats-info.ts';
import { delay as pause, untilAborted } from '../../util/until-aborted.ts';

/** How long `stop()` waits for consumptions to hand back what they hold before closing anyway. */
const CLOSE_WAIT_MS = 2_000;

/** Optional collaborators of a {@link NatsDriver}. */
export interface NatsDriverDeps {
  /** Where connection events and set-asides are logged. @default silentLogger */
  readonly logger?: Logger;
}

/**
 * Driver for queues in NATS JetStream, on the official nats.js client.
 *
 * A queue is a stream of its own (work-queue retention: an acked message
 * is gone) on one subject, with one durable pull consumer that every
 * actorq consumer of the queue shares, in every process: each message goes
 * to one of them. Publishes wait for JetStream's acknowledgement and carry
 * the message ID as `Nats-Msg-Id`. Consumers pull exactly their credit.
 * Retries and dead-letters are copies (new headers, at the tail) followed
 * by an ack or `term` of the original; delays are a due time in the
 * message that consumers honour with `nak` and a delay. Undecodable
 * messages from other programs are set aside, never delivered or dropped.
 * See `docs/nats-driver.md`.
 *
 * The connection is run by the connection machine: a lost connection is
 * opened again with backoff, streams and consumers are created again if
 * the server lost them, and consumptions pull again on the new connection.
 *
 * @example
 * ```ts
 * const driver = new NatsDriver('app:nats', natsDriverOptionsSchema.parse({ servers: 'nats://127.0.0.1:4222' }))
 * await driver.start()
 * await driver.declare({ id: 'app:tasks', name: 'tasks', options: natsQueueOptionsSchema.parse({}) })
 * await driver.publish('tasks', [{ id: 'm1', body: { n: 1 }, headers: {} }])
 * ```
 */
export class NatsDriver implements Driver {
  readonly id: string;
  readonly status$: Observable<DriverStatusEvent>;
  /** Peek (a browse by stream sequence), purge and removal for operators (see `nats-admin.ts`). */
  readonly admin: QueueAdmin;
  readonly #options: NatsDriverOptions;
  readonly #logger: Logger;
  readonly #connector: NatsConnector;
  readonly #declared: NatsDeclarations;
  readonly #parking: NatsParking;
  readonly #consumptions = new Set<NatsConsumption>();
  readonly #publishHost: PublishHost;
  readonly #consumptionHost: ConsumptionHost;
  /** Aborted by `stop()`; a new one per start, since the driver can be started again. */
  #stopSignal = new AbortController();
  #stopping: Promise<void> | undefined;

  constructor(id: string, options: NatsDriverOptions, deps: NatsDriverDeps = {}) {
    this.id = id;
    this.#options = options;
    this.#logger = deps.logger ?? silentLogger;
    setMaxListeners(0, this.#stopSignal.signal);
    this.#declared = new NatsDeclarations(id, this.#logger);
    this.#parking = new NatsParking();
    this.#connector = new NatsConnector(id, options, this.#logger, async (session) => {
      await this.#declared.restoreAll(session);
      this.#parking.forgetAll();
    });
    this.status$ = this.#connector.supervisor.status$;
    // Every entry into `connected` (first connect or reconnect) binds consumptions to the new connection.
    this.status$.subscribe((e) => {
      if (e.type !== 'connected') return;
      const session = this.#connector.session;
      if (session) for (const c of this.#consumptions) c.attach(session);
    });
    this.#publishHost = {
      driverId: id,
      requestTimeout: options.request_timeout,
      session: (deadline, signal) => this.#liveSession(deadline, signal),
      restore: (queueName) => this.#restore(queueName),
    };
    this.#consumptionHost = {
      driverId: id,
      logger: this.#logger,
      liveSession: () => this.#connector.session,
      copy: (queueName, d, headers, kind, due) => this.#copy(queueName, d, headers, kind, due),
      assertDeclared: (queueName) => void this.#declaredQueue(queueName),
      restore: (queueName) => this.#restore(queueName),
      forget: (c) => void this.#consumptions.delete(c),
      asideTarget: (place) => this.#asideTarget(place),
      sendCopy: (target, id, data, headers) => this.#sendCopy(target.name, target.subject, id, data, headers),
    };
    this.admin = natsAdmin({
      driverId: id,
      place: (queueName) => {
        this.#assertNotStopped();
        return this.#declaredQueue(queueName).place;
      },
      session: () => this.#liveSession(Date.now() + this.#options.publish_timeout),
      restore: (queueName) => this.#restore(queueName),
      scrub: (e) => this.#connector.scrub(e),
    });
  }

  /** Places the connection machine under the driver's actor (see `Driver.adopt`). */
  adopt(driverActor: AnyActorRef): void {
    this.#connector.supervisor.adopt(driverActor, `${this.id}#connection`);
  }

  /** The servers, credentials masked. */
  get target(): string {
    return this.#connector.target.display;
  }

  /** State of the connection machine, for diagnostics. */
  get connectionState(): string {
    return this.#connector.supervisor.state;
  }

  async start(): Promise<void> {
    if (this.#stopping) {
      // Started again after a stop: finish the stop, then begin a fresh run.
      await this.#stopping;
      this.#stopping = undefined;
      this.#stopSignal = new AbortController();
      setMaxListeners(0, this.#stopSignal.signal);
    }
    await this.#connector.supervisor.open();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#stopSignal.abort();
    // Whatever consumers still hold goes back now (`nak`), while the connection is up.
    const closes = [...this.#consumptions].map((c) => c.close().catch(() => undefined));
    await Promise.race([Promise.all(closes), pause(CLOSE_WAIT_MS)]);
    await this.#connector.supervisor.close();
    this.#consumptions.clear();
  }

  async declare(queue: QueueDeclaration): Promise<void> {
    this.#assertNotStopped();
    const session = this.#connector.session;
    try {
      await this.#declared.declare(session, queue);
    } catch (e) {
      // Lost the connection meanwhile: recorded anyway, the reconnect sets it up.
      if (!(e instanceof ActorqError) && session && classify(e) === 'transient') {
        await this.#declared.declare(undefined, queue);
        return;
      }
      throw e instanceof ActorqError ? e : this.#unavailable(`declare ${queue.name}: ${this.#connector.scrub(e)}`, e);
    }
  }

  async publish(queueName: string, messages: readonly Message[], options?: PublishOptions): Promise<void> {
    this.#assertNotStopped();
    const q = this.#declaredQueue(queueName);
    if (messages.length === 0) return;
    const delay = checkedDelay(options?.delayMs, `publish to ${queueName}`);
    const due = delay > 0 ? Date.now() + delay : 0;
    const dedupeKey = options?.dedupeKey;
    if (dedupeKey !== undefined && messages.length > 1) {
      throw new InvalidMessageError(`publish to ${queueName}: a dedupeKey is for one message, got ${messages.length}`);
    }
    // Encoded first: a body that cannot be encoded stores nothing of the batch.
    const outgoing: Outgoing[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      outgoing[i] = { id: m.id, encoded: encodeMessage(m, queueName, due, dedupeKey) };
    }
    await this.#send(queueName, q.place.subject, outgoing, options?.signal);
  }

  /**
   * A pull consumer on the queue's shared durable consumer. Its window is the
   * credit the consumer grants (`maxUnsettled` needs no server setting: pull
   * requests ask for exactly the credit).
   */
  consume(queueName: string, _options: ConsumeOptions): NatsConsumption {
    this.#assertNotStopped();
    const q = this.#declaredQueue(queueName);
    const c = new NatsConsumption(this.#consumptionHost, q.place, q.options.ack_wait);
    this.#consumptions.add(c);
    return c;
  }

  /**
   * Figures from the stream (`message_count`), the consumer (`ready` =
   * not yet delivered, `in_flight` = delivered and not settled) and the
   * attached consumers (`consumer_count`, every process). Rejects at once
   * with a retryable `DRIVER_UNAVAILABLE` while not connected.
   */
  async info(queueName: string): Promise<QueueInfo> {
    this.#assertNotStopped();
    const q = this.#declaredQueue(queueName);
    const session = this.#connectedSession(queueName);
    try {
      return await queueInfo(session, q, this.#parking, () => this.#restore(queueName));
    } catch (e) {
      if (e instanceof ActorqError) throw e;
      throw this.#unavailable(`info for ${queueName} failed: ${this.#connector.scrub(e)}`, e);
    }
  }

  /** Publishes confirmed, through reconnects until `publish_timeout`; client errors become DRIVER_UNAVAILABLE. */
  async #send(queueName: string, subject: string, outgoing: readonly Outgoing[], signal?: AbortSignal): Promise<void> {
    try {
      await sendConfirmed(this.#publishHost, queueName, subject, outgoing, Date.now() + this.#options.publish_timeout, signal);
    } catch (e) {
      if (e instanceof ActorqError) throw e;
      throw this.#unavailable(`publish to ${queueName}: ${this.#connector.scrub(e)}`, e);
    }
  }

  /**
   * A confirmed copy of a delivery to `queueName`. Its `Nats-Msg-Id` is
   * made of the stored original's stream, sequence and time, so copies of
   * one stored message (a crash between the copy and the ack made it twice)
   * are stored once.
   */
  async #copy(queueName: string, d: NatsDelivery, headers: Headers, kind: CopyKind, due: number): Promise<void> {
    const q = this.#declaredQueue(queueName);
    const info = parseAckSubject(d.reply);
    const msgId = info ? `actorq-${kind}:${info.stream}:${info.streamSequence}:${info.timestamp}` : `actorq-${kind}:${d.reply}`;
    await this.#sendCopy(queueName, q.place.subject, d.id, d.data, copyHeaders(d.id, msgId, headers, due));
  }

  #sendCopy(queueName: string, subject: string, id: string, data: Uint8Array, headers: MsgHdrs): Promise<void> {
    return this.#send(queueName, subject, [{ id, encoded: { data, headers } }]);
  }

  /** The queue's dead-letter queue when it is declared on this driver, else its parked stream (made on first use). */
  async #asideTarget(place: QueuePlace): Promise<AsideTarget> {
    const dlq = this.#declared.get(place.queueName)?.declaration.deadLetterName;
    const target = dlq === undefined ? undefined : this.#declared.get(dlq);
    if (target) return { name: dlq!, subject: target.place.subject, deadLetter: true };
    const session = await this.#liveSession(Date.now() + this.#options.publish_timeout);
    return this.#parking.target(session, place);
  }

  /** Creates a queue's (or parked stream's) stream and consumer again, on the live connection. */
  async #restore(queueName: string): Promise<void> {
    const session = await this.#liveSession(Date.now() + this.#options.publish_timeout);
    if (this.#parking.owns(queueName)) return this.#parking.restore(session, queueName);
    await this.#declared.ensure(session, this.#declaredQueue(queueName));
  }

  #declaredQueue(queueName: string): DeclaredQueue {
    const q = this.#declared.get(queueName);
    if (!q) throw new NotFoundError('queue', queueName, `driver ${this.id}`);
    return q;
  }

  /** The live session at once, or a DRIVER_STOPPED / retryable DRIVER_UNAVAILABLE naming the state. */
  #connectedSession(queueName: string): NatsSession {
    const session = this.#connector.session;
    if (session) return session;
    const sup = this.#connector.supervisor;
    const state = sup.state;
    if (state === 'closed' || state === 'closing') throw new DriverUnavailableError('DRIVER_STOPPED', `driver ${this.id} stopped`);
    const why = sup.lastError instanceof Error ? ` (last error: ${this.#connector.scrub(sup.lastError)})` : '';
    throw this.#unavailable(`is ${state === 'idle' ? 'not started' : state} (nats ${this.target}): queue ${queueName} cannot be used until it is connected${why}`, sup.lastError);
  }

  /** The live session once the machine says `connected`, waiting until `deadline` at most. */
  async #liveSession(deadline: number, signal?: AbortSignal): Promise<NatsSession> {
    for (;;) {
      this.#assertNotStopped();
      if (signal?.aborted) throw new AbortedError(`driver ${this.id}: publish aborted while waiting for the connection`, { cause: signal.reason });
      const session = this.#connector.session;
      if (session) return session;
      const state = this.#connector.supervisor.state;
      if (state === 'idle') throw this.#unavailable('not started');
      if (state === 'failed') throw this.#unavailable(`cannot reach nats ${this.target}`, this.#connector.supervisor.lastError);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw this.#unavailable(`not connected to nats ${this.target} (${state}) within ${this.#options.publish_timeout}ms`);
      // 'connected' with a closed client: the machine has not seen the loss yet; look again shortly.
      const wait = state === 'connected' ? pause(Math.min(10, remaining)) : this.#connector.supervisor.whenConnected(remaining).catch(() => undefined);
      await untilAborted(wait, signal ? [this.#stopSignal.signal, signal] : [this.#stopSignal.signal]);
    }
  }

  #assertNotStopped(): void {
    if (this.#stopping) throw new DriverUnavailableError('DRIVER_STOPPED', `driver ${this.id} stopped`);
  }

  #unavailable(what: string, cause?: unknown): DriverUnavailableError {
    return new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.id}: ${what}`, cause === undefined ? undefined : { cause });
  }
}
