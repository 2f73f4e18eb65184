import { AckPolicy, DeliverPolicy, DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { QueueDeclaration } from '../driver.ts';
import { ConfigError } from '../../errors/config-error.ts';
import type { Logger } from '../../util/logger.ts';
import { natsQueueOptionsSchema, type NatsQueueOptions } from './nats-options.ts';
import { placeOf, type QueuePlace } from './nats-names.ts';
import type { NatsSession } from './nats-connection.ts';

/** A queue this process declared, with where it lives. @internal */
export interface DeclaredQueue {
  readonly declaration: QueueDeclaration;
  readonly place: QueuePlace;
  readonly options: NatsQueueOptions;
}

/** JetStream's "a work-queue stream already has a consumer for these subjects" errors. */
const WORKQUEUE_CONSUMER_CLASH = new Set([10099, 10100]);
/** "subjects overlap with an existing stream". */
const SUBJECTS_OVERLAP = 10065;

/**
 * The queues a driver declared, and how each is made on the server: one
 * stream per queue (work-queue retention, the queue's subject only) and one
 * durable pull consumer, `actorq`, shared by every actorq consumer of the
 * queue in every process.
 *
 * Declaring is idempotent and converges: a missing stream or consumer is
 * created; an existing one keeps its messages, its settings that the
 * configuration can change in place (`max_age`, `duplicate_window`,
 * `replicas`, `ack_wait`) are updated to the configuration (logged), and
 * one that cannot serve as this queue (another retention, other subjects,
 * another storage, another consumer on a work-queue stream) is a
 * {@link ConfigError} naming the field. @internal
 */
export class NatsDeclarations {
  readonly #queues = new Map<string, DeclaredQueue>();
  readonly #logger: Logger;
  readonly #driverId: string;

  constructor(driverId: string, logger: Logger) {
    this.#driverId = driverId;
    this.#logger = logger;
  }

  /** The declared queue of this backend name, if any. */
  get(queueName: string): DeclaredQueue | undefined {
    return this.#queues.get(queueName);
  }

  /** Validates and records a declaration; sets it up on `session` when there is one (else the next connect does). */
  async declare(session: NatsSession | undefined, queue: QueueDeclaration): Promise<DeclaredQueue> {
    const options = natsQueueOptionsSchema.parse(queue.options);
    const declared: DeclaredQueue = { declaration: queue, place: placeOf(queue), options };
    if (session) await this.ensure(session, declared);
    this.#queues.set(queue.name, declared);
    return declared;
  }

  /** Sets up every declared queue on a fresh connection. */
  async restoreAll(session: NatsSession): Promise<void> {
    for (const q of this.#queues.values()) await this.ensure(session, q);
  }

  /** Creates or converges a queue's stream and consumer. */
  async ensure(session: NatsSession, q: DeclaredQueue): Promise<void> {
    await this.#ensureStream(session, q);
    await this.#ensureConsumer(session, q);
  }

  async #ensureStream(session: NatsSession, q: DeclaredQueue): Promise<void> {
    const { place, options, declaration } = q;
    const wanted: Partial<StreamConfig> & { name: string } = {
      name: place.stream,
      subjects: [place.subject],
      retention: RetentionPolicy.Workqueue,
      storage: options.storage === 'memory' ? StorageType.Memory : StorageType.File,
      num_replicas: options.replicas,
      max_age: nanos(options.max_age),
      duplicate_window: nanos(options.duplicate_window),
      discard: DiscardPolicy.Old,
    };
    const info = await streamInfo(session, place.stream);
    if (!info) {
      try {
        await session.jsm.streams.add(wanted);
      } catch (e) {
        if (apiCode(e) !== SUBJECTS_OVERLAP) throw e;
        throw this.#configError(declaration, 'driver_options.nats.subject', `subject "${place.subject}" is already taken by another stream on the server (${(e as Error).message}); choose another subject`);
      }
      return;
    }
    const c = info.config;
    const where = `stream "${place.stream}" exists on the server`;
    if (c.retention !== RetentionPolicy.Workqueue) {
      throw this.#configError(declaration, 'driver_options.nats.stream', `${where} with ${c.retention} retention; a queue needs a work-queue stream: choose another stream name or delete that stream`);
    }
    if (c.subjects?.length !== 1 || c.subjects[0] !== place.subject) {
      throw this.#configError(declaration, 'driver_options.nats.subject', `${where} with subjects ${JSON.stringify(c.subjects ?? [])}, not just "${place.subject}"; give the queue its own stream`);
    }
    if (c.storage !== wanted.storage) {
      throw this.#configError(declaration, 'driver_options.nats.storage', `${where} with ${c.storage} storage, which cannot be changed; set storage: ${c.storage} or delete the stream`);
    }
    if (c.num_replicas !== wanted.num_replicas || c.max_age !== wanted.max_age || c.duplicate_window !== wanted.duplicate_window) {
      await session.jsm.streams.update(place.stream, { ...c, num_replicas: wanted.num_replicas!, max_age: wanted.max_age!, duplicate_window: wanted.duplicate_window! });
      this.#logger.warn('nats stream settings updated to the configuration', {
        driver: this.#driverId,
        queue: declaration.id,
        stream: place.stream,
        was: { replicas: c.num_replicas, max_age_ms: c.max_age / 1e6, duplicate_window_ms: c.duplicate_window / 1e6 },
      });
    }
  }

  async #ensureConsumer(session: NatsSession, q: DeclaredQueue): Promise<void> {
    const { place, options, declaration } = q;
    const ackWait = nanos(options.ack_wait);
    let existing;
    try {
      existing = await session.jsm.consumers.info(place.stream, place.durable);
    } catch (e) {
      if (!(e instanceof JetStreamApiError) || e.status !== 404) throw e;
    }
    if (!existing) {
      try {
        await session.jsm.consumers.add(place.stream, {
          durable_name: place.durable,
          ack_policy: AckPolicy.Explicit,
          ack_wait: ackWait,
          // actorq counts attempts and dead-letters; a message JetStream stops
          // delivering would stay in the work queue, unseen, for ever.
          max_deliver: -1,
          // Waiting (delayed) messages count as pending acks: a bound would let them block the queue.
          max_ack_pending: -1,
          deliver_policy: DeliverPolicy.All,
          filter_subject: place.subject,
        });
      } catch (e) {
        if (!WORKQUEUE_CONSUMER_CLASH.has(apiCode(e) ?? 0)) throw e;
        throw this.#configError(declaration, 'driver_options.nats.stream', `stream "${place.stream}" already has another consumer for "${place.subject}" (a work-queue stream takes one): ${(e as Error).message}`);
      }
      return;
    }
    const c = existing.config;
    if (c.ack_wait !== ackWait || c.max_deliver !== -1 || c.max_ack_pending !== -1) {
      await session.jsm.consumers.update(place.stream, place.durable, { ack_wait: ackWait, max_deliver: -1, max_ack_pending: -1 });
      this.#logger.warn('nats consumer settings updated to the configuration', {
        driver: this.#driverId,
        queue: declaration.id,
        stream: place.stream,
        was: { ack_wait_ms: (c.ack_wait ?? 0) / 1e6, max_deliver: c.max_deliver, max_ack_pending: c.max_ack_pending },
      });
    }
  }

  #configError(queue: QueueDeclaration, field: string, message: string): ConfigError {
    return new ConfigError([{ entryId: queue.id, field, message }]);
  }
}

/** A stream's info, or `undefined` when the server has no such stream. */
export async function streamInfo(session: NatsSession, stream: string): Promise<StreamInfo | undefined> {
  try {
    return await session.jsm.streams.info(stream);
  } catch (e) {
    if (e instanceof JetStreamApiError && e.status === 404) return undefined;
    throw e;
  }
}

/** The JetStream API error code (`err_code`) of an error, if it is one. */
export function apiCode(e: unknown): number | undefined {
  return e instanceof JetStreamApiError ? e.code : undefined;
}
