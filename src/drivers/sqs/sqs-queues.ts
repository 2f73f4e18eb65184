import { createHash } from 'node:crypto';
import { CreateQueueCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { QueueDeclaration } from '../driver.ts';
import { ConfigError } from '../../errors/config-error.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import type { SqsSend } from './sqs-connection.ts';
import { DEFAULT_VISIBILITY_TIMEOUT_S, DEFAULT_WAIT_TIME_S, sqsQueueOptionsSchema, type SqsDriverOptions } from './sqs-kind.ts';
import type { QueueTarget } from './sqs-codec.ts';
import { errorCode, isQueueMissing, isQueueNameTaken, isTransient } from './sqs-errors.ts';

/** A queue declared on this driver, with its URL. @internal */
export interface SqsQueue extends QueueTarget {
  readonly declaration: QueueDeclaration;
  readonly url: string;
  /** Receive `VisibilityTimeout`, seconds. */
  readonly visibilitySeconds: number;
  /** Receive `WaitTimeSeconds`. */
  readonly waitSeconds: number;
}

/** SQS's limit on queue names. */
const MAX_NAME = 80;

/** Whether `name` is a FIFO queue's (SQS requires the `.fifo` suffix). */
export function isFifoName(name: string): boolean {
  return name.length > 5 && name.endsWith('.fifo');
}

/**
 * The queue that keeps undecodable messages of `name` when it has no
 * dead-letter queue on the same driver: `<name>_parked` (`x_parked.fifo`
 * for `x.fifo`), shortened with a hash where SQS's 80 characters require.
 */
export function parkedQueueName(name: string): string {
  const fifo = isFifoName(name);
  const base = fifo ? name.slice(0, -5) : name;
  const suffix = `_parked${fifo ? '.fifo' : ''}`;
  if (base.length + suffix.length <= MAX_NAME) return base + suffix;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return `${base.slice(0, MAX_NAME - suffix.length - 9)}-${hash}${suffix}`;
}

/**
 * The queues of one SQS driver and their URLs. Declaring asks for the URL
 * first (`GetQueueUrl`) and creates the queue only when it does not exist,
 * with the driver's retention and delay and the queue's visibility timeout
 * (`FifoQueue` for `.fifo` names); an existing queue's attributes are
 * never changed, as in Wippy. @internal
 */
export class SqsQueues {
  readonly #driverId: string;
  readonly #options: SqsDriverOptions;
  readonly #byName = new Map<string, SqsQueue>();
  /** URLs of parked queues known to exist. */
  readonly #parked = new Map<string, string>();

  constructor(driverId: string, options: SqsDriverOptions) {
    this.#driverId = driverId;
    this.#options = options;
  }

  /** The declared queue, or `undefined`. */
  get(name: string): SqsQueue | undefined {
    return this.#byName.get(name);
  }

  /** The declared queue; NotFoundError when it was not declared on this driver. */
  require(name: string): SqsQueue {
    const q = this.#byName.get(name);
    if (!q) throw new NotFoundError('queue', name, `driver ${this.#driverId}`);
    return q;
  }

  /** Every declared queue. */
  all(): IterableIterator<SqsQueue> {
    return this.#byName.values();
  }

  /** Resolves (creating if needed) and records `declaration`. Idempotent. */
  async declare(send: SqsSend, declaration: QueueDeclaration): Promise<SqsQueue> {
    const options = sqsQueueOptionsSchema.parse(declaration.options);
    const fifo = isFifoName(declaration.name);
    const attributes: Record<string, string> = {};
    if (fifo) attributes['FifoQueue'] = 'true';
    if (this.#options.message_retention_period !== undefined) attributes['MessageRetentionPeriod'] = String(this.#options.message_retention_period);
    if (this.#options.default_delay_seconds !== undefined) attributes['DelaySeconds'] = String(this.#options.default_delay_seconds);
    const visibility = options.visibility_timeout ?? this.#options.visibility_timeout;
    const created = options.default_visibility_timeout ?? visibility;
    if (created !== undefined) attributes['VisibilityTimeout'] = String(created);
    const url = await this.#resolve(send, declaration.name, attributes, declaration.id);
    const queue: SqsQueue = {
      declaration,
      url,
      name: declaration.name,
      fifo,
      overflow: options.header_overflow,
      visibilitySeconds: visibility ?? DEFAULT_VISIBILITY_TIMEOUT_S,
      waitSeconds: options.wait_time ?? this.#options.wait_time_seconds ?? DEFAULT_WAIT_TIME_S,
    };
    this.#byName.set(declaration.name, queue);
    return queue;
  }

  /** Declares every queue again (a reconnect). False when there are none, so the caller probes otherwise. */
  async redeclareAll(send: SqsSend): Promise<boolean> {
    const queues = [...this.#byName.values()];
    for (const q of queues) await this.declare(send, q.declaration);
    return queues.length > 0;
  }

  /** URL of the parked queue of `name`, created on first use. */
  async parkedUrl(send: SqsSend, name: string): Promise<string> {
    const parked = parkedQueueName(name);
    const known = this.#parked.get(parked);
    if (known) return known;
    const url = await this.#resolve(send, parked, isFifoName(parked) ? { FifoQueue: 'true' } : {}, `${this.get(name)?.declaration.id ?? name} (parked queue)`);
    this.#parked.set(parked, url);
    return url;
  }

  /** URL of the parked queue of `name` when it exists, without creating it. */
  async existingParkedUrl(send: SqsSend, name: string): Promise<string | undefined> {
    const parked = parkedQueueName(name);
    const known = this.#parked.get(parked);
    if (known) return known;
    try {
      const r = await send(new GetQueueUrlCommand({ QueueName: parked }));
      if (r.QueueUrl) this.#parked.set(parked, r.QueueUrl);
      return r.QueueUrl;
    } catch (e) {
      if (isQueueMissing(e)) return undefined;
      throw e;
    }
  }

  async #resolve(send: SqsSend, name: string, attributes: Record<string, string>, entryId: string): Promise<string> {
    try {
      const r = await send(new GetQueueUrlCommand({ QueueName: name }));
      if (r.QueueUrl) return r.QueueUrl;
    } catch (e) {
      if (!isQueueMissing(e)) throw e;
    }
    try {
      const r = await send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      return r.QueueUrl!;
    } catch (e) {
      if (isTransient(e)) throw e;
      // Another process created it meanwhile with other attributes: use it as it is.
      if (isQueueNameTaken(e)) {
        const r = await send(new GetQueueUrlCommand({ QueueName: name }));
        return r.QueueUrl!;
      }
      const message = e instanceof Error ? e.message : String(e);
      throw new ConfigError([{ entryId, field: 'queue_name', message: `SQS refused to create queue "${name}": ${errorCode(e)}: ${message}` }]);
    }
  }
}
