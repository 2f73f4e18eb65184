import type { Observable } from 'rxjs';
import type { AnyActorRef } from 'xstate';
import type { Headers, Message } from '../message/message.ts';
import type { QueueAdmin } from './queue-admin.ts';

/**
 * The contract every backend implements. One conformance suite
 * (`test/drivers/conformance.ts`) checks it for each driver.
 *
 * A driver owns the connection to its backend and every queue declared on
 * it. Lifecycle (starting, running, reconnecting, draining, stopped) is
 * tracked by the driver machine in `machines/`; the driver reports what
 * happens to its connection on {@link Driver.status$} and the machine
 * turns that into states.
 *
 * Retry counting and dead-lettering live above the drivers, in the consumer:
 * a driver only offers the primitive moves ({@link Consumption.requeue},
 * {@link Consumption.deadLetter}), atomic where its backend allows.
 */
export interface Driver {
  /** Registry ID of the driver entry. */
  readonly id: string;

  /** Connects. Resolves once the driver can publish and consume. */
  start(): Promise<void>;

  /**
   * Disconnects. Called after every consumer of this driver has been
   * cancelled. Pending publishes fail with a `DRIVER_STOPPED` error.
   * Idempotent.
   */
  stop(): Promise<void>;

  /**
   * Connection events, for the driver machine. In-process drivers may
   * never emit. It stays open across `stop()`/`start()` (a driver can be
   * restarted), so subscribers unsubscribe when they are done.
   */
  readonly status$: Observable<DriverStatusEvent>;

  /** Creates the queue on the backend if needed. Idempotent. */
  declare(queue: QueueDeclaration): Promise<void>;

  /**
   * Stores messages at the tail of a queue, in order. Resolves when the
   * backend has accepted all of them (memory: enqueued; AMQP: confirmed),
   * and rejects if any was refused, naming which. Messages accepted before
   * a failure stay accepted.
   *
   * Waits while the queue is full (backpressure) until there is room, the
   * signal aborts, or the driver stops. Publishing before `start()` is
   * allowed where the backend can hold it (memory).
   *
   * Rejects with `NotFoundError` for a queue that was never declared.
   *
   * The driver may keep `messages` (the memory driver queues the array
   * itself rather than copying it): callers must not change it afterwards.
   */
  publish(queueName: string, messages: readonly Message[], options?: PublishOptions): Promise<void>;

  /**
   * Optional fast path for `publish(queueName, [message])` without
   * options, for drivers that can often accept a message on the spot
   * (memory). Returns `undefined` when the message is stored already, so
   * the caller makes no promise at all; otherwise a promise as `publish`
   * returns, which the driver may share between several such calls (it
   * then settles for all of them at once, each message then stored, or
   * none of them).
   */
  publishOne?(queueName: string, message: Message): Promise<void> | undefined;

  /**
   * Starts delivering a queue's messages to one consumer. Nothing is
   * delivered until credit is granted with {@link Consumption.request}.
   * Throws `NotFoundError` for an undeclared queue.
   */
  consume(queueName: string, options: ConsumeOptions): Consumption;

  /** Current figures for a queue. Rejects with `NotFoundError` if undeclared. */
  info(queueName: string): Promise<QueueInfo>;

  /**
   * Optional. Called once by the runtime with the driver's own actor, so a
   * driver that runs machines of its own (a connection machine) makes them
   * children of it: they then belong to the runtime's actor system and show
   * in the inspector, under system ID `<driver id>#connection`.
   */
  adopt?(driverActor: AnyActorRef): void;

  /**
   * Optional operator tools (peek, purge, take messages out one by one),
   * for `actorq peek`, `purge` and `dead-letters`. A driver without them
   * publishes and consumes as usual; those commands then say that the
   * driver does not support them. See {@link QueueAdmin}.
   */
  readonly admin?: QueueAdmin;
}

/** A queue as declared on a driver. */
export interface QueueDeclaration {
  /** Registry ID of the `queue.queue` entry, for error messages. */
  readonly id: string;
  /** Name on the backend (`queue_name`, defaulting to the entry name). */
  readonly name: string;
  /**
   * This driver's section of the entry's `driver_options`, already
   * validated by the driver kind's `queueOptionsSchema`.
   */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Backend name of the queue's dead-letter queue when that queue lives on
   * this same driver. A stored entry the driver cannot decode (written by
   * another program: bad framing, bad JSON, wrong shape) is moved there
   * with its raw bytes and an `x_dead_letter_reason`, never delivered and
   * never dropped. Without one, such an entry is parked: kept aside where
   * {@link QueueInfo.parked} counts it, and logged at error level.
   */
  readonly deadLetterName?: string;
}

/** Options for {@link Driver.publish}. */
export interface PublishOptions {
  /** Abandons a publish still waiting for room; already-accepted messages stay. */
  readonly signal?: AbortSignal;
  /**
   * Delayed publish: the messages are stored now (the publish resolves when
   * the backend accepted them) but delivered no earlier than this many ms
   * from now. Absent or 0: deliverable at once. A delayed message waits
   * without holding a consumer's credit, never blocks the messages behind
   * it, survives a consumer crash like any stored message, and counts in
   * {@link QueueInfo.delayed} where the backend can count it.
   */
  readonly delayMs?: number;
  /**
   * For backends that drop a second publish of the same message ID within
   * a window (NATS JetStream's `Nats-Msg-Id`, SQS FIFO's deduplication ID):
   * the key they compare instead of the ID. Given when a publish stores a
   * new copy of a message under its old ID on purpose (a dead-letter
   * replay), so that the copy is not taken for the original and dropped.
   * Only with a single message; other backends ignore it.
   */
  readonly dedupeKey?: string;
}

/** Options for {@link Driver.consume}. */
export interface ConsumeOptions {
  /** Registry ID of the consumer, for backend consumer tags and errors. */
  readonly consumerId: string;
  /**
   * The most unsettled deliveries this consumer will ever hold
   * (prefetch + concurrency). Brokers with their own flow control
   * (AMQP `basic.qos`) use it as their window.
   */
  readonly maxUnsettled: number;
  /**
   * The consumer entry's `driver_options` section for this driver's kind
   * (e.g. `driver_options.amqp`), as its kind's `consumerOptionsSchema`
   * validated it. Absent when the entry has none.
   */
  readonly driverOptions?: Readonly<Record<string, unknown>>;
  /**
   * The consumer entry's `auto_ack`: settle each delivery as it is handed
   * out, before any handler runs (at-most-once). Only drivers whose kind
   * declares `autoAck` get it; configuration refuses it for the others.
   */
  readonly autoAck?: boolean;
}

/**
 * A message delivered to a consumer. Drivers may attach private fields
 * (delivery tags, stream IDs); consumers only read the {@link Message} part
 * and pass the object back to settle it.
 */
export type Delivery = Message;

/**
 * One consumer's subscription to a queue.
 *
 * Flow control is credit-based: the driver delivers at most as many
 * messages as credit granted, and each delivery uses one credit. Settling
 * does not return credit by itself; the consumer grants it back in
 * batches, which keeps the hot path free of per-message round trips.
 *
 * Settle methods return nothing when they completed synchronously, or a
 * promise the consumer waits for before it reports itself stopped.
 */
export interface Consumption {
  /**
   * Deliveries in batches (each non-empty; the consumer may keep the
   * arrays). Completes when the consumption
   * is cancelled or the driver stops; errors if the backend ends it.
   */
  readonly deliveries: Observable<readonly Delivery[]>;

  /** Grants `credit` more deliveries. */
  request(credit: number): void;

  /** Removes the message for good. */
  ack(delivery: Delivery): void | Promise<void>;

  /**
   * Puts the message at the tail of its queue with `headers` replacing its
   * headers (the consumer bumps `attempts`). Same ID and body. With
   * `delayMs` > 0 (a retry backoff), the message becomes deliverable again
   * only after that delay, with the same guarantees as a delayed publish
   * ({@link PublishOptions.delayMs}); removing it from the consumer and
   * storing it delayed is atomic where the backend allows.
   */
  requeue(delivery: Delivery, headers: Headers, delayMs?: number): void | Promise<void>;

  /**
   * Moves the message to another queue on the same driver, with `headers`
   * replacing its headers, and removes it from this one; atomically where
   * the backend allows.
   */
  deadLetter(delivery: Delivery, targetQueueName: string, headers: Headers): void | Promise<void>;

  /**
   * Gives unprocessed messages back untouched (attempts unchanged), at the
   * head of the queue where the backend allows, in the order given.
   */
  release(deliveries: readonly Delivery[]): void | Promise<void>;

  /**
   * Stops deliveries. Resolves when the backend will deliver nothing more
   * to this consumer. Settling deliveries already handed out still works
   * afterwards. Idempotent.
   */
  cancel(): Promise<void>;
}

/** Figures a driver reports for a queue. */
export interface QueueInfo {
  /** Messages not yet acked: `ready + in_flight` where the backend can tell. */
  readonly message_count: number;
  /** Messages waiting to be delivered. */
  readonly ready: number;
  /** Messages delivered to consumers and not yet settled. */
  readonly in_flight: number;
  /** Consumers currently attached. */
  readonly consumer_count: number;
  /** Undecodable entries set aside (see {@link QueueDeclaration.deadLetterName}); absent where none can occur. */
  readonly parked?: number;
  /** Messages waiting for a delay (delayed publish or retry backoff), where the driver can count them. */
  readonly delayed?: number;
  /** Backend-specific figures. */
  readonly [extra: string]: unknown;
}

/**
 * What a driver tells its machine about the backend connection.
 * `reconnecting` is sent when a live connection is lost and the driver is
 * trying again; `connected` when it is back.
 */
export type DriverStatusEvent =
  | { readonly type: 'connected' }
  | { readonly type: 'reconnecting'; readonly attempt: number; readonly error?: unknown }
  | { readonly type: 'failed'; readonly error: unknown };
