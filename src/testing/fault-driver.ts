import { Observable, Subject, type Subscriber } from 'rxjs';
import type { Consumption, ConsumeOptions, Delivery, Driver, DriverStatusEvent, PublishOptions, QueueDeclaration, QueueInfo } from '../drivers/driver.ts';
import { MemoryDriver } from '../drivers/memory/memory-driver.ts';
import { DriverUnavailableError } from '../errors/lifecycle-errors.ts';
import type { Headers, Message } from '../message/message.ts';

/**
 * What a {@link FaultDriver} does wrong, changeable at any time by the
 * test. Delays are ms and apply to the calls made after the change;
 * `fail*` make those calls fail.
 */
export interface Faults {
  /** `start()` (connecting) takes this long. @default 0 */
  startDelay: number;
  /** `start()` rejects (the broker is unreachable). @default false */
  failStart: boolean;
  /** `stop()` (closing) takes this long. @default 0 */
  stopDelay: number;
  /** `stop()` rejects (the close fails; the driver still counts as stopped). @default false */
  failStop: boolean;
  /** `declare()` takes this long. @default 0 */
  declareDelay: number;
  /** `declare()` rejects (the broker refuses the queue). @default false */
  failDeclare: boolean;
  /** A new subscription delivers nothing for this long (a slow `basic.consume`). @default 0 */
  consumeDelay: number;
  /** `consume()` throws (the consumer's start fails). @default false */
  failConsume: boolean;
  /** An ack takes this long to be confirmed. @default 0 */
  ackDelay: number;
  /**
   * An ack fails and the broker never got it: the message goes back to the
   * queue and is delivered again (at-least-once, as on a broker whose
   * channel closed before the ack). @default false
   */
  failAck: boolean;
}

/** No faults: a {@link FaultDriver} with these behaves like the memory driver. */
export const NO_FAULTS: Readonly<Faults> = {
  startDelay: 0,
  failStart: false,
  stopDelay: 0,
  failStop: false,
  declareDelay: 0,
  failDeclare: false,
  consumeDelay: 0,
  failConsume: false,
  ackDelay: 0,
  failAck: false,
};

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

/** One live subscription, as the driver sees it: it can be broken, and held while the connection is down. */
interface LiveConsumption {
  break(error: unknown): void;
  /** Emits the deliveries held back while the connection was down or the subscription not ready. */
  flush(): void;
}

/**
 * A memory driver that is slow, fails or breaks on command. Messages live
 * in a real {@link MemoryDriver} (`inner`), so counts after any path are
 * exact; the faults sit in front of it. Change {@link FaultDriver.faults}
 * at any time; break subscriptions and drop the broker connection with
 * the methods below. `pending` counts calls under way, for tests that
 * stop "while declaring".
 *
 * @example
 * ```ts
 * const t = createTestRuntime({ yaml, functions })
 * await t.runtime.load()
 * t.driver('app:broker').faults.declareDelay = 200   // the next start declares slowly
 * t.driver('app:broker').dropConnection()             // the broker goes away...
 * t.driver('app:broker').restoreConnection()          // ...and comes back
 * ```
 */
export class FaultDriver implements Driver {
  readonly id: string;
  readonly faults: Faults = { ...NO_FAULTS };
  readonly inner: MemoryDriver;
  /** Calls under way, by kind. */
  readonly pending = { start: 0, declare: 0, stop: 0 };
  readonly #status = new Subject<DriverStatusEvent>();
  readonly status$: Observable<DriverStatusEvent> = this.#status.asObservable();
  readonly #live = new Set<LiveConsumption>();
  #dropped = false;
  #reconnectAttempt = 0;

  constructor(id: string) {
    this.id = id;
    this.inner = new MemoryDriver(id);
  }

  /** Whether the broker connection is down ({@link FaultDriver.dropConnection}). */
  get dropped(): boolean {
    return this.#dropped;
  }

  /** Subscriptions open now. */
  get subscriptions(): number {
    return this.#live.size;
  }

  async start(): Promise<void> {
    this.pending.start++;
    try {
      await sleep(this.faults.startDelay);
      if (this.faults.failStart) throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `fault: start of ${this.id} fails`);
      await this.inner.start();
      this.#dropped = false;
    } finally {
      this.pending.start--;
    }
  }

  async stop(): Promise<void> {
    this.pending.stop++;
    try {
      await sleep(this.faults.stopDelay);
      await this.inner.stop();
      if (this.faults.failStop) throw new Error(`fault: close of ${this.id} fails`);
    } finally {
      this.pending.stop--;
    }
  }

  async declare(queue: QueueDeclaration): Promise<void> {
    this.pending.declare++;
    try {
      await sleep(this.faults.declareDelay);
      if (this.faults.failDeclare) throw new Error(`fault: declare of ${queue.name} fails`);
      await this.inner.declare(queue);
    } finally {
      this.pending.declare--;
    }
  }

  publish(queueName: string, messages: readonly Message[], options?: PublishOptions): Promise<void> {
    if (this.#dropped) return Promise.reject(new DriverUnavailableError('DRIVER_UNAVAILABLE', `fault: ${this.id} lost its connection; publish to ${queueName} refused`));
    return this.inner.publish(queueName, messages, options);
  }

  consume(queueName: string, options: ConsumeOptions): Consumption {
    if (this.faults.failConsume) throw new Error(`fault: consume of ${queueName} fails`);
    const inner = this.inner.consume(queueName, options);
    // Opened by its own timer, never by comparing clocks: a timer may fire a
    // millisecond before Date.now() reaches the due time, and a check of the
    // clock would then hold the deliveries with nothing left to flush them.
    let delaying = this.faults.consumeDelay > 0;
    let target: Subscriber<readonly Delivery[]> | undefined;
    const held: (readonly Delivery[])[] = [];
    const open = () => !this.#dropped && !delaying;
    const live: LiveConsumption = {
      break: (error) => target?.error(error),
      flush: () => {
        if (!open()) return;
        for (let batch = held.shift(); batch && target; batch = held.shift()) target.next(batch);
      },
    };
    const deliveries = new Observable<readonly Delivery[]>((subscriber) => {
      target = subscriber;
      this.#live.add(live);
      const timer = delaying
        ? setTimeout(() => {
            delaying = false;
            live.flush();
          }, this.faults.consumeDelay)
        : undefined;
      const sub = inner.deliveries.subscribe({
        next: (batch) => (open() && held.length === 0 ? subscriber.next(batch) : void held.push(batch)),
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => {
        clearTimeout(timer);
        sub.unsubscribe();
        this.#live.delete(live);
        target = undefined;
      };
    });
    return {
      deliveries,
      request: (credit) => inner.request(credit),
      ack: (d) => this.#ack(inner, d),
      requeue: (d: Delivery, h: Headers, delayMs?: number) => inner.requeue(d, h, delayMs),
      deadLetter: (d: Delivery, q: string, h: Headers) => inner.deadLetter(d, q, h),
      release: (ds: readonly Delivery[]) => inner.release(ds),
      cancel: () => inner.cancel(),
    };
  }

  info(queueName: string): Promise<QueueInfo> {
    return this.inner.info(queueName);
  }

  /** Ends every live subscription with an error, as a backend that drops its consumers. */
  breakSubscriptions(error: unknown = new Error('fault: subscription broke')): void {
    for (const c of [...this.#live]) c.break(error);
  }

  /**
   * The broker connection drops: the driver reports `reconnecting` (its
   * actor moves to `running.reconnecting`), publishes are refused with
   * `DRIVER_UNAVAILABLE`, and subscriptions deliver nothing until
   * {@link FaultDriver.restoreConnection}. Called again, it reports the
   * next reconnect attempt.
   */
  dropConnection(error: unknown = new Error('fault: connection lost')): void {
    this.#dropped = true;
    this.#status.next({ type: 'reconnecting', attempt: ++this.#reconnectAttempt, error });
  }

  /** The connection is back: the driver reports `connected`, held deliveries flow. */
  restoreConnection(): void {
    this.#dropped = false;
    this.#reconnectAttempt = 0;
    this.#status.next({ type: 'connected' });
    for (const c of [...this.#live]) c.flush();
  }

  /**
   * The connection gives up (reconnecting failed for good): the driver
   * reports `failed` and its actor restarts it under its
   * `lifecycle.restart` policy (`start()` is called again, with the
   * current {@link Faults}).
   */
  failConnection(error: unknown = new Error('fault: connection gave up')): void {
    this.#status.next({ type: 'failed', error });
  }

  #ack(inner: Consumption, delivery: Delivery): void | Promise<void> {
    const { ackDelay, failAck } = this.faults;
    if (ackDelay <= 0 && !failAck) return inner.ack(delivery);
    return sleep(ackDelay).then(async () => {
      if (!failAck) return inner.ack(delivery);
      // The broker never saw the ack: the message is delivered again.
      await inner.release([delivery]);
      throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `fault: ack of message ${delivery.id} on ${this.id} failed`);
    });
  }
}
