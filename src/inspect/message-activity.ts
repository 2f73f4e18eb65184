import { tap } from 'rxjs';
import type { Consumption, Delivery, Driver } from '../drivers/driver.ts';
import type { DriverKind, KindCatalog } from '../kinds/kind-descriptors.ts';
import type { Headers } from '../message/message.ts';
import { REDACTED, plainCopy } from './sanitize-inspection.ts';

/** What happened to a sampled message. */
export type MessageActivityType = 'message.received' | 'message.acked' | 'message.requeued' | 'message.dead_lettered' | 'message.released';

/** One sampled step of one message, as the inspector shows it on its consumer. */
export interface MessageActivity {
  readonly type: MessageActivityType;
  /** Registry ID of the consumer the message was delivered to. */
  readonly consumer: string;
  /** Backend name of the queue (the dead-letter queue's, for `message.dead_lettered`). */
  readonly queue: string;
  readonly message_id: string;
  /** The `attempts` header after this step. */
  readonly attempts: number;
  /** `[redacted]` unless payloads are shown. */
  readonly body: unknown;
  readonly headers: unknown;
}

/** Options of {@link messageActivityKinds}. */
export interface MessageActivityOptions {
  /** One message in this many is followed, from delivery to settle. @default 10 */
  readonly every?: number;
  /** At most this many messages begin to be followed per second; past it, none until the next second. @default 100 */
  readonly maxPerSecond?: number;
  /** Show bodies and headers (`--inspect-payloads`). @default false */
  readonly payloads?: boolean;
}

/**
 * `kinds` with every driver wrapped so that a sample of the messages it
 * delivers is reported to `report`: delivered, then acked, requeued,
 * dead-lettered or released. This is the side channel behind `actorq run
 * --inspect-messages`, for people who want to watch deliveries in the
 * inspector:
 *
 * - no XState event per message: the consumer's hot path is not touched;
 *   the wrapper sits between the consumer and the driver, and reports
 *   through `report`, not through the actor system;
 * - sampled: one message in `every` is followed (its settle found with one
 *   `WeakSet` lookup), and at most `maxPerSecond` new ones per second;
 * - bodies and headers are `[redacted]` unless `payloads`;
 * - off costs nothing: without the flag the kinds are not wrapped at all.
 *
 * The wrapper forwards everything else of the driver untouched.
 *
 * @example
 * ```ts
 * const runtime = createRuntime({ files, kinds: messageActivityKinds(builtinKinds, (a) => console.log(a), { every: 100 }) })
 * ```
 */
export function messageActivityKinds(kinds: KindCatalog, report: (activity: MessageActivity) => void, options: MessageActivityOptions = {}): KindCatalog {
  const sampler = new MessageSampler(options.every ?? 10, options.maxPerSecond ?? 100);
  const describe = (type: MessageActivityType, consumer: string, queue: string, d: Delivery, headers: Headers = d.headers): MessageActivity => ({
    type,
    consumer,
    queue,
    message_id: d.id,
    attempts: Number(headers['attempts'] ?? 0) || 0,
    body: options.payloads ? plainCopy(d.body, 10, new WeakSet(), false) : REDACTED,
    headers: options.payloads ? plainCopy(headers, 4, new WeakSet(), false) : REDACTED,
  });
  const drivers = new Map<string, DriverKind>(
    [...kinds.drivers].map(([name, kind]) => [name, { ...kind, create: async (entry, env) => observed(await kind.create(entry, env), sampler, report, describe) }]),
  );
  return { drivers, functions: kinds.functions };
}

/** Picks one message in `every`, at most `maxPerSecond` a second. */
class MessageSampler {
  readonly #every: number;
  readonly #maxPerSecond: number;
  readonly #followed = new WeakSet<Delivery>();
  #count = 0;
  #second = 0;
  #inSecond = 0;

  constructor(every: number, maxPerSecond: number) {
    this.#every = Math.max(1, Math.floor(every));
    this.#maxPerSecond = maxPerSecond;
  }

  /** Calls `take` for each delivery of `batch` that is sampled. */
  pick(batch: readonly Delivery[], take: (d: Delivery) => void): void {
    // Skip straight to the next sampled index: no work for the others.
    for (let i = this.#every - 1 - this.#count; i < batch.length; i += this.#every) {
      if (!this.#allowed()) break;
      this.#followed.add(batch[i]!);
      take(batch[i]!);
    }
    this.#count = (this.#count + batch.length) % this.#every;
  }

  /** Whether `d` was sampled (its settle is reported once, then forgotten). */
  settled(d: Delivery): boolean {
    return this.#followed.delete(d);
  }

  #allowed(): boolean {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#inSecond = 0;
    }
    return ++this.#inSecond <= this.#maxPerSecond;
  }
}

type Describe = (type: MessageActivityType, consumer: string, queue: string, d: Delivery, headers?: Headers) => MessageActivity;

/** `driver` with `consume` observed; every other member is the driver's own. */
function observed(driver: Driver, sampler: MessageSampler, report: (a: MessageActivity) => void, describe: Describe): Driver {
  return new Proxy(driver, {
    get(target, prop) {
      if (prop === 'consume') {
        return (queueName: string, options: Parameters<Driver['consume']>[1]) =>
          observedConsumption(target.consume(queueName, options), queueName, options.consumerId, sampler, report, describe);
      }
      const value: unknown = Reflect.get(target, prop, target);
      // Methods run on the driver itself (its #private fields are not on the proxy).
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function observedConsumption(c: Consumption, queue: string, consumer: string, sampler: MessageSampler, report: (a: MessageActivity) => void, describe: Describe): Consumption {
  // A report must never break the message path.
  const safely = (activity: () => MessageActivity) => {
    try {
      report(activity());
    } catch {
      // ignored: the inspector is a spectator
    }
  };
  const deliveries = c.deliveries.pipe(tap((batch) => sampler.pick(batch, (d) => safely(() => describe('message.received', consumer, queue, d)))));
  return new Proxy(c, {
    get(target, prop) {
      switch (prop) {
        case 'deliveries':
          return deliveries;
        case 'ack':
          return (d: Delivery) => {
            if (sampler.settled(d)) safely(() => describe('message.acked', consumer, queue, d));
            return target.ack(d);
          };
        case 'requeue':
          return (d: Delivery, headers: Headers, delayMs?: number) => {
            if (sampler.settled(d)) safely(() => describe('message.requeued', consumer, queue, d, headers));
            return target.requeue(d, headers, delayMs);
          };
        case 'deadLetter':
          return (d: Delivery, targetQueue: string, headers: Headers) => {
            if (sampler.settled(d)) safely(() => describe('message.dead_lettered', consumer, targetQueue, d, headers));
            return target.deadLetter(d, targetQueue, headers);
          };
        case 'release':
          return (ds: readonly Delivery[]) => {
            for (const d of ds) if (sampler.settled(d)) safely(() => describe('message.released', consumer, queue, d));
            return target.release(ds);
          };
        default: {
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        }
      }
    },
  });
}
