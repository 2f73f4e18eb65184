import { Subject, type Observable } from 'rxjs';
import type { Consumption, Delivery } from '../driver.ts';
import type { Headers, Message } from '../../message/message.ts';
import type { MemoryDriver } from './memory-driver.ts';
import type { MemoryQueue } from './memory-queue.ts';

/**
 * One consumer's subscription to a {@link MemoryQueue}. Deliveries are the
 * stored message objects themselves: nothing is copied or wrapped on the
 * way to the handler.
 */
export class MemoryConsumption implements Consumption {
  readonly #driver: MemoryDriver;
  readonly #queue: MemoryQueue;
  readonly #subject = new Subject<readonly Delivery[]>();
  /** Deliveries this consumer may still receive. */
  credit = 0;
  #cancelled = false;

  readonly deliveries: Observable<readonly Delivery[]>;

  constructor(driver: MemoryDriver, queue: MemoryQueue) {
    this.#driver = driver;
    this.#queue = queue;
    this.deliveries = this.#subject.asObservable();
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Called by the driver's pump with a batch taken from the queue. */
  deliver(batch: readonly Message[]): void {
    this.credit -= batch.length;
    this.#subject.next(batch);
  }

  request(credit: number): void {
    if (this.#cancelled || credit <= 0) return;
    this.credit += credit;
    this.#driver.schedulePump(this.#queue);
  }

  ack(_delivery: Delivery): void {
    this.#queue.inFlight--;
  }

  requeue(delivery: Delivery, headers: Headers, delayMs?: number): void {
    const message = { id: delivery.id, body: delivery.body, headers };
    // Anything but absent or 0 goes through the delay check (a negative or NaN delay is refused, not taken as "now").
    if (delayMs !== undefined && delayMs !== 0) {
      // Checked first: a bad delay throws with the message still in flight, not lost.
      this.#driver.delay(this.#queue, [message], delayMs, `requeue of message ${delivery.id} on ${this.#queue.name}`);
      this.#queue.inFlight--;
      return;
    }
    this.#queue.inFlight--;
    this.#queue.ready.push(message);
    this.#driver.schedulePump(this.#queue);
  }

  deadLetter(delivery: Delivery, targetQueueName: string, headers: Headers): void {
    // Resolve the target first: if it does not exist the message stays in flight, not lost.
    const target = this.#driver.queueOrThrow(targetQueueName);
    this.#queue.inFlight--;
    target.ready.push({ id: delivery.id, body: delivery.body, headers });
    this.#driver.schedulePump(target);
  }

  release(deliveries: readonly Delivery[]): void {
    this.#queue.ready.unshiftAll(deliveries);
    this.#queue.inFlight -= deliveries.length;
    this.#driver.schedulePump(this.#queue);
  }

  cancel(): Promise<void> {
    if (!this.#cancelled) {
      this.#cancelled = true;
      this.credit = 0;
      const i = this.#queue.consumers.indexOf(this);
      if (i >= 0) this.#queue.consumers.splice(i, 1);
      this.#subject.complete();
    }
    return Promise.resolve();
  }
}
