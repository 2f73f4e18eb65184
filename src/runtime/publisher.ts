import type { QueueBinding } from './runtime-wiring.ts';
import { NotFoundError } from '../errors/not-found-error.ts';
import { OutgoingMessage } from '../message/outgoing-message.ts';
import { assertBody, copyHeaders } from '../message/validate-message.ts';
import type { Message } from '../message/message.ts';
import { newTraceparent } from '../tracing/traceparent.ts';

/** Options of `Runtime.publish` and `Runtime.publishBatch`. */
export interface PublishCallOptions {
  /** Headers (string, finite number or boolean values). `timestamp` and a W3C `traceparent` are added unless given. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Message ID; a UUID v4 is made when absent. Only for single publishes. */
  readonly id?: string;
  /** Abandons a publish still waiting for room in a full queue. */
  readonly signal?: AbortSignal;
}

/**
 * Checks messages and routes them to their queue's driver. Invalid input
 * rejects before anything is stored: a batch with one bad body stores none.
 */
export class Publisher {
  readonly #queues: () => ReadonlyMap<string, QueueBinding> | undefined;
  /** Messages handed to each queue's driver, by queue ID (for metrics). */
  readonly published = new Map<string, number>();

  constructor(queues: () => ReadonlyMap<string, QueueBinding> | undefined) {
    this.#queues = queues;
  }

  publish(queueId: string, body: unknown, options?: PublishCallOptions): Promise<void> {
    const binding = this.#queues()?.get(queueId);
    if (!binding) return Promise.reject(new NotFoundError('queue', queueId));
    try {
      assertBody(body, queueId);
      const now = nowSeconds();
      const message = new OutgoingMessage(body, this.#headers(queueId, options, now), now, options?.id);
      this.published.set(queueId, (this.published.get(queueId) ?? 0) + 1);
      return binding.driver.publish(binding.declaration.name, [message], options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  publishBatch(queueId: string, bodies: readonly unknown[], options?: PublishCallOptions): Promise<void> {
    const binding = this.#queues()?.get(queueId);
    if (!binding) return Promise.reject(new NotFoundError('queue', queueId));
    try {
      const now = nowSeconds();
      const messages: Message[] = new Array(bodies.length);
      const withHeaders = options?.headers !== undefined;
      for (let i = 0; i < bodies.length; i++) {
        const body = bodies[i];
        // Numbers and non-empty strings need no further check: the common case stays inline.
        if (typeof body !== 'number' && typeof body !== 'string') assertBody(body, queueId);
        messages[i] = new OutgoingMessage(body, withHeaders ? this.#headers(queueId, options, now) : undefined, now);
      }
      this.published.set(queueId, (this.published.get(queueId) ?? 0) + bodies.length);
      return binding.driver.publish(binding.declaration.name, messages, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #headers(queueId: string, options: PublishCallOptions | undefined, now: number) {
    if (!options?.headers) return undefined;
    const headers = copyHeaders(options.headers, queueId);
    if (headers['timestamp'] === undefined) headers['timestamp'] = now;
    if (headers['traceparent'] === undefined) headers['traceparent'] = newTraceparent();
    return headers;
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
