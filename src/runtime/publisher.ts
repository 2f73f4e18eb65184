import type { QueueBinding } from './runtime-wiring.ts';
import { NotFoundError } from '../errors/not-found-error.ts';
import { InvalidMessageError } from '../errors/message-errors.ts';
import { OutgoingMessage } from '../message/outgoing-message.ts';
import { assertSize, checkBody, copyHeaders, DEFAULT_MAX_MESSAGE_SIZE, headersBoundOf } from '../message/validate-message.ts';
import { DEFAULT_HEADERS_BOUND } from '../message/json-size.ts';
import { unixSeconds } from '../util/unix-seconds.ts';
import type { Message } from '../message/message.ts';
import type { DelayValue } from '../message/delay.ts';
import { publishDelay, type PublishDelay } from '../message/publish-delay.ts';
import type { PublishOptions } from '../drivers/driver.ts';
import { newTraceparent } from '../tracing/traceparent.ts';
import type { SecurityActor } from '../security/security-actor.ts';

/** Options of `Runtime.publish` and `Runtime.publishBatch`. */
export interface PublishCallOptions {
  /** Headers (string, finite number or boolean values). `timestamp` and a W3C `traceparent` are added unless given. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Message ID; a UUID v4 is made when absent. Only for single publishes. */
  readonly id?: string;
  /**
   * What a backend that drops repeated message IDs compares instead of the
   * ID (NATS JetStream `Nats-Msg-Id`, SQS FIFO deduplication ID): a second
   * publish with the same key within the backend's window is stored once.
   * Give a fresh one to store a new copy of a message under its old `id`
   * (a replay). A non-empty string; only for single publishes.
   */
  readonly dedupeKey?: string;
  /** Abandons a publish still waiting for room in a full queue. */
  readonly signal?: AbortSignal;
  /**
   * Deliver no sooner than this from now: ms, or a Go-style duration
   * (`'5s'`, `'1m30s'`), up to about 24.8 days. The message is stored at
   * once and waits without holding up the messages behind it. A `delay`
   * header means the same (and is consumed, not stored); so does
   * `amqp.x_delay` on an AMQP queue, read by that driver.
   */
  readonly delay?: DelayValue;
  /**
   * The actor host code publishes as. Given, the publish is checked like a
   * handler's (`queue.publish`, then `queue.publish.queue` on the queue)
   * against `policies` and `groups`; refused, it rejects with
   * `PermissionDeniedError` and stores nothing. Absent, host code is
   * trusted unless the runtime is in strict mode. Decisions are cached per
   * actor object: pass the same object, and a new one when it changes.
   */
  readonly actor?: SecurityActor;
  /** Full IDs of `security.policy` entries deciding for `actor`. */
  readonly policies?: readonly string[];
  /** Full IDs of policy groups deciding for `actor`. */
  readonly groups?: readonly string[];
}

/**
 * Checks messages and routes them to their queue's driver. Invalid input
 * rejects before anything is stored: a batch with one bad body stores none.
 *
 * Every driver gets the same checks here, before it sees a message: the
 * body rule (plain JSON data), the queue's `max_message_size`, and the
 * header rules.
 */
export class Publisher {
  readonly #queues: () => ReadonlyMap<string, QueueBinding> | undefined;
  /** Messages each queue's driver accepted, by queue ID: a counter object each, so counting is one add. */
  readonly #accepted = new Map<string, { n: number }>();
  /** The queue counted last and its counter: a run of publishes to one queue skips the map. */
  #lastQueueId: string | undefined;
  #lastCounter = { n: 0 };
  /** One "accepted one more" callback per queue, made once, so a publish allocates no closure for it. */
  readonly #acceptedOne = new Map<string, () => void>();
  /** The last waiting promise a driver's `publishOne` returned, and how many publishes it stands for so far. */
  #group: { readonly promise: Promise<void>; readonly queueId: string; size: number } | undefined;

  constructor(queues: () => ReadonlyMap<string, QueueBinding> | undefined) {
    this.#queues = queues;
  }

  publish(queueId: string, body: unknown, options?: PublishCallOptions): Promise<void> {
    const binding = this.#queues()?.get(queueId);
    if (!binding) return Promise.reject(new NotFoundError('queue', queueId));
    try {
      if (options === undefined) return this.#publishPlain(queueId, binding, body);
      if (options.dedupeKey !== undefined) checkDedupeKey(options.dedupeKey, queueId);
      const bound = checkBody(body, queueId);
      const now = unixSeconds();
      const delay = options === undefined ? undefined : publishDelay(options.delay, options.headers, queueId);
      const headers = this.#headers(queueId, delay ? delay.headers : options?.headers, now);
      assertSize(body, bound, headers, headersBoundOf(headers), now, limitOf(binding), queueId);
      const message = new OutgoingMessage(body, headers, now, options?.id);
      return binding.driver.publish(binding.declaration.name, [message], driverOptions(options, delay)).then(this.#countOne(queueId));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  publishBatch(queueId: string, bodies: readonly unknown[], options?: PublishCallOptions): Promise<void> {
    const binding = this.#queues()?.get(queueId);
    if (!binding) return Promise.reject(new NotFoundError('queue', queueId));
    try {
      if (options?.dedupeKey !== undefined) {
        // One key for many messages would have the backend keep only the first.
        throw new InvalidMessageError(`publish to ${queueId}: dedupeKey is only for single publishes, not publishBatch`);
      }
      const now = unixSeconds();
      const messages: Message[] = new Array(bodies.length);
      const delay = options === undefined ? undefined : publishDelay(options.delay, options.headers, queueId);
      const given = delay ? delay.headers : options?.headers;
      const withHeaders = given !== undefined;
      const limit = limitOf(binding);
      // Every message of the batch gets headers of the same size (the same
      // given ones, a generated traceparent of fixed length), so their bound is taken once.
      let headerRoom = -1;
      for (let i = 0; i < bodies.length; i++) {
        const body = bodies[i];
        const headers = withHeaders ? this.#headers(queueId, given, now) : undefined;
        if (headerRoom < 0) headerRoom = limit - headersBoundOf(headers);
        const bound = bodyBound(body, queueId, i);
        if (bound > headerRoom) assertSize(body, bound, headers, limit - headerRoom, now, limit, queueId);
        messages[i] = new OutgoingMessage(body, headers, now);
      }
      return binding.driver.publish(binding.declaration.name, messages, driverOptions(options, delay)).then(() => this.#count(queueId, messages.length));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The usual publish: one body, no options, so default headers and no
   * delay. Through the driver's `publishOne` where it has one: a message
   * accepted on the spot then costs no promise (measured: per-message
   * publishes ran at a third of fastq's rate before).
   */
  #publishPlain(queueId: string, binding: QueueBinding, body: unknown): Promise<void> {
    const bound = bodyBound(body, queueId);
    const now = unixSeconds();
    const limit = limitOf(binding);
    if (bound + DEFAULT_HEADERS_BOUND > limit) assertSize(body, bound, undefined, DEFAULT_HEADERS_BOUND, now, limit, queueId);
    const message = new OutgoingMessage(body, undefined, now);
    const driver = binding.driver;
    if (driver.publishOne === undefined) return driver.publish(binding.declaration.name, [message]).then(this.#countOne(queueId));
    const waiting = driver.publishOne(binding.declaration.name, message);
    if (waiting === undefined) {
      this.#count(queueId, 1);
      return RESOLVED;
    }
    return this.#countWhenAccepted(queueId, waiting);
  }

  /**
   * Counts a waiting publish once the driver accepts it. The driver may
   * hand several publishes the same promise (a waiting group): those add
   * to one count instead of each hanging a callback on it.
   */
  #countWhenAccepted(queueId: string, waiting: Promise<void>): Promise<void> {
    const group = this.#group;
    if (group !== undefined && group.promise === waiting) {
      group.size++;
      return waiting;
    }
    const next = { promise: waiting, queueId, size: 1 };
    this.#group = next;
    // The caller gets `waiting` itself and handles its rejection; this branch only counts.
    waiting.then(() => this.#count(next.queueId, next.size), ignore);
    return waiting;
  }

  /** Messages each queue's driver accepted (its publish resolved), by queue ID (for metrics). */
  get published(): ReadonlyMap<string, number> {
    return new Map([...this.#accepted].map(([queueId, counter]) => [queueId, counter.n]));
  }

  #count(queueId: string, n: number): void {
    if (queueId !== this.#lastQueueId) {
      let counter = this.#accepted.get(queueId);
      if (counter === undefined) this.#accepted.set(queueId, (counter = { n: 0 }));
      this.#lastQueueId = queueId;
      this.#lastCounter = counter;
    }
    this.#lastCounter.n += n;
  }

  #countOne(queueId: string): () => void {
    let one = this.#acceptedOne.get(queueId);
    if (!one) this.#acceptedOne.set(queueId, (one = () => this.#count(queueId, 1)));
    return one;
  }

  #headers(queueId: string, given: Readonly<Record<string, unknown>> | undefined, now: number) {
    if (!given) return undefined;
    const headers = copyHeaders(given, queueId);
    if (headers['timestamp'] === undefined) headers['timestamp'] = now;
    if (headers['traceparent'] === undefined) headers['traceparent'] = newTraceparent();
    return headers;
  }
}

/** What the driver gets: the caller's options as they are, unless a delay must be passed on. */
function driverOptions(options: PublishCallOptions | undefined, delay: PublishDelay | undefined): PublishOptions | undefined {
  if (delay === undefined || delay.delayMs === 0) return options;
  return { signal: options?.signal, delayMs: delay.delayMs, dedupeKey: options?.dedupeKey };
}

function checkDedupeKey(key: unknown, queueId: string): void {
  if (typeof key !== 'string' || key === '') throw new InvalidMessageError(`publish to ${queueId}: dedupeKey must be a non-empty string, got ${JSON.stringify(key) ?? String(key)}`);
}

/**
 * {@link checkBody} with the common case inline: a finite number needs no
 * walk and fits any limit the schema allows.
 */
function bodyBound(body: unknown, queueId: string, index?: number): number {
  return typeof body === 'number' && body - body === 0 ? MAX_NUMBER_BYTES : checkBody(body, queueId, index);
}

/** Longest JSON text of a finite number. */
const MAX_NUMBER_BYTES = 24;

/** The queue's `max_message_size` (validated config carries it; a hand-built entry may not). */
function limitOf(binding: QueueBinding): number {
  return binding.entry.max_message_size ?? DEFAULT_MAX_MESSAGE_SIZE;
}

const RESOLVED: Promise<void> = Promise.resolve();

function ignore(): void {}
