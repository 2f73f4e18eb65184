import { EMPTY, type Observable } from 'rxjs';
import type { ConsumeOptions, Driver, DriverStatusEvent, PublishOptions, QueueDeclaration, QueueInfo } from '../driver.ts';
import type { Message } from '../../message/message.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { AbortedError, DriverUnavailableError } from '../../errors/lifecycle-errors.ts';
import { DEFAULT_MEMORY_MAX_LENGTH, DEFAULT_MEMORY_MAX_WAITING } from './memory-kind.ts';
import { QueueFullError } from '../../errors/queue-full-error.ts';
import { MemoryConsumption } from './memory-consumption.ts';
import { callsOf, MemoryQueue, type PublishWaiter } from './memory-queue.ts';
import { MemoryDelays } from './memory-delays.ts';
import { InvalidMessageError } from '../../errors/message-errors.ts';
import { MAX_DELAY_MS } from '../../message/delay.ts';
import type { QueueAdmin } from '../queue-admin.ts';
import { memoryAdmin } from './memory-admin.ts';
import { runSoon } from '../../util/run-soon.ts';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Pumps run as microtasks for speed, but a consumer that keeps failing
 * fast (or a huge backlog with instant handlers) would then never let the
 * event loop reach timers, I/O or signals. After this many pumps without
 * a macrotask in between, the next pump waits for `setImmediate`.
 */
const MAX_MICROTASK_PUMPS = 256;

/**
 * Most single-message publishes one waiting group holds (fewer when
 * `max_length` is smaller): a group is admitted whole, so a large one
 * would wait for that much room at once.
 */
const GROUP_MESSAGES = 64;

/**
 * In-process driver: one bounded FIFO per queue.
 *
 * Messages survive a driver stop/start (they live as long as the driver
 * object), so a restart loses nothing; they do not survive the process.
 * Deliveries are batched: publishes and credit grants schedule one pump
 * per microtask, which then hands each consumer as much as its credit
 * allows in a single batch.
 *
 * Delayed messages (delayed publish, retry backoff) wait outside the ready
 * lists, in one heap for the whole driver with one timer for the earliest
 * (see {@link MemoryDelays}); a stop keeps them, like every other message.
 */
export class MemoryDriver implements Driver {
  readonly id: string;
  readonly status$: Observable<DriverStatusEvent> = EMPTY;
  /** Peek, purge and removal for operators (see `memory-admin.ts`). */
  readonly admin: QueueAdmin = memoryAdmin(this);
  readonly #queues = new Map<string, MemoryQueue>();
  readonly #delays = new MemoryDelays((queue) => this.schedulePump(queue));
  #stopped = false;
  /** Pumps run since the event loop last reached a macrotask. */
  #microtaskPumps = 0;
  readonly #resetPumps = () => {
    this.#microtaskPumps = 0;
  };
  readonly #runPump = (queue: MemoryQueue) => this.#pump(queue);

  constructor(id: string) {
    this.id = id;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    // Consumers that subscribed while the driver was stopped get what waits.
    for (const queue of this.#queues.values()) this.schedulePump(queue);
    this.#delays.resume();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#delays.pause();
    const error = new DriverUnavailableError('DRIVER_STOPPED', `driver ${this.id} stopped`);
    for (const queue of this.#queues.values()) {
      for (const consumption of [...queue.consumers]) await consumption.cancel();
      for (let w = queue.waiters.shift(); w; w = queue.waiters.shift()) this.#settleWaiter(w, queue, error);
    }
  }

  async declare(queue: QueueDeclaration): Promise<void> {
    const maxLength = (queue.options['max_length'] as number | undefined) ?? DEFAULT_MEMORY_MAX_LENGTH;
    const maxWaiting = (queue.options['max_waiting'] as number | undefined) ?? DEFAULT_MEMORY_MAX_WAITING;
    const existing = this.#queues.get(queue.name);
    if (existing) {
      existing.maxLength = maxLength;
      existing.maxWaiting = maxWaiting;
    } else this.#queues.set(queue.name, new MemoryQueue(queue.name, maxLength, maxWaiting, this.#runPump));
  }

  publish(queueName: string, messages: readonly Message[], options?: PublishOptions): Promise<void> {
    const queue = this.#queues.get(queueName);
    if (this.#stopped || !queue) return Promise.reject(this.#refusal(queueName));
    const delayMs = options?.delayMs;
    if (delayMs !== undefined && !isDelay(delayMs)) return Promise.reject(badDelay(delayMs, `publish to ${queueName}`));
    const delay = delayMs === undefined ? 0 : Math.ceil(delayMs);
    // Fast path: room for all and nobody queued ahead (FIFO between publishers).
    if (queue.waiters.length === 0 && queue.room >= messages.length) {
      if (delay > 0) this.#delays.add(queue, messages, 0, messages.length, delay);
      else {
        queue.ready.pushAll(messages);
        this.schedulePump(queue);
      }
      return RESOLVED;
    }
    return this.#waitForRoom(queue, messages, options?.signal, delay);
  }

  /**
   * One message without options, the shape of most publishes: stored at
   * once when there is room (`undefined` then, and no promise made), else
   * a promise that resolves once it is admitted, shared with the other
   * single-message publishes waiting in the same group.
   */
  publishOne(queueName: string, message: Message): Promise<void> | undefined {
    const queue = this.#queues.get(queueName);
    if (this.#stopped || !queue) return Promise.reject(this.#refusal(queueName));
    if (queue.waiters.length === 0 && queue.room > 0) {
      queue.ready.push(message);
      this.schedulePump(queue);
      return undefined;
    }
    if (queue.waitingCalls >= queue.maxWaiting) return Promise.reject(this.#queueFull(queue));
    const last = queue.waiters.peekLast();
    if (last?.group !== undefined && last.messages.length < Math.min(GROUP_MESSAGES, queue.maxLength)) {
      (last.messages as Message[]).push(message);
      queue.waitingCalls++;
      return last.group;
    }
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const group = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    queue.waiters.push({ messages: [message], next: 0, resolve, reject, signal: undefined, onAbort: undefined, delayMs: 0, group });
    queue.waitingCalls++;
    this.#admitWaiters(queue);
    return group;
  }

  consume(queueName: string, _options: ConsumeOptions): MemoryConsumption {
    const queue = this.queueOrThrow(queueName);
    const consumption = new MemoryConsumption(this, queue);
    queue.consumers.push(consumption);
    return consumption;
  }

  async info(queueName: string): Promise<QueueInfo> {
    const q = this.queueOrThrow(queueName);
    return { message_count: q.ready.length + q.inFlight, ready: q.ready.length, in_flight: q.inFlight, consumer_count: q.consumers.length, delayed: q.delayed };
  }

  /**
   * @internal Stores messages of `queue` delayed by `delayMs` (> 0), outside
   * its ready list, ignoring `max_length` like every requeue. Throws
   * INVALID_MESSAGE naming `where` for a delay that is not one, before
   * anything is stored.
   */
  delay(queue: MemoryQueue, messages: readonly Message[], delayMs: number, where: string): void {
    if (!isDelay(delayMs)) throw badDelay(delayMs, where);
    this.#delays.add(queue, messages, 0, messages.length, Math.ceil(delayMs));
  }

  /** @internal Looks up a declared queue or throws {@link NotFoundError}. */
  queueOrThrow(name: string): MemoryQueue {
    const queue = this.#queues.get(name);
    if (!queue) throw new NotFoundError('queue', name, `driver ${this.id}`);
    return queue;
  }

  /** @internal Runs the queue's pump once in the next microtask, however often it is asked. */
  schedulePump(queue: MemoryQueue): void {
    if (queue.pumpScheduled) return;
    queue.pumpScheduled = true;
    if (this.#microtaskPumps === 0) setImmediate(this.#resetPumps);
    if (++this.#microtaskPumps <= MAX_MICROTASK_PUMPS) runSoon(queue.runPump);
    else setImmediate(queue.runPump);
  }

  #pump(queue: MemoryQueue): void {
    queue.pumpScheduled = false;
    if (this.#stopped) return;
    const consumers = queue.consumers;
    let idle = 0;
    // Only what is ready now: a synchronous handler that fails at once puts
    // its message back during `deliver`, and looping on that here would spin
    // without ever yielding. Messages requeued meanwhile go out in the next pump.
    let budget = queue.ready.length;
    // Round-robin over consumers with credit, a batch each, until the budget
    // is spent or a full lap finds nobody with credit.
    while (budget > 0 && queue.ready.length > 0 && consumers.length > 0 && idle < consumers.length) {
      const c = consumers[queue.cursor++ % consumers.length]!;
      if (c.credit <= 0) {
        idle++;
        continue;
      }
      idle = 0;
      const batch = queue.ready.take(Math.min(c.credit, budget));
      budget -= batch.length;
      queue.inFlight += batch.length;
      c.deliver(batch);
    }
    if (queue.waiters.length > 0) this.#admitWaiters(queue);
  }

  #waitForRoom(queue: MemoryQueue, messages: readonly Message[], signal: AbortSignal | undefined, delayMs: number): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError(`publish to ${queue.name} aborted`, { cause: signal.reason }));
    // Publishes fired without awaiting would otherwise pile up without bound
    // (each waiter holds its messages, a promise and closures).
    if (queue.waitingCalls >= queue.maxWaiting) return Promise.reject(this.#queueFull(queue));
    return new Promise<void>((resolve, reject) => {
      const onAbort = signal
        ? () => {
            this.#removeWaiter(queue, waiter);
            reject(new AbortedError(`publish to ${queue.name} aborted after ${waiter.next} of ${messages.length} messages were accepted`, { cause: signal.reason }));
          }
        : undefined;
      const waiter: PublishWaiter = { messages, next: 0, resolve, reject, signal, onAbort, delayMs, group: undefined };
      signal?.addEventListener('abort', onAbort!, { once: true });
      queue.waiters.push(waiter);
      queue.waitingCalls++;
      this.#admitWaiters(queue);
    });
  }

  /** Moves waiting publishers' messages in, oldest publisher first, as room allows. */
  #admitWaiters(queue: MemoryQueue): void {
    let admitted = false;
    for (let w = queue.waiters.peek(); w && queue.room > 0; w = queue.waiters.peek()) {
      // A group goes in whole, into an empty queue even past max_length (so
      // a group larger than a lowered max_length cannot wait forever).
      if (w.group !== undefined && queue.room < w.messages.length && queue.ready.length + queue.delayed > 0) break;
      const n = w.group !== undefined ? w.messages.length : Math.min(queue.room, w.messages.length - w.next);
      if (w.delayMs > 0) this.#delays.add(queue, w.messages, w.next, w.next + n, w.delayMs);
      else {
        queue.ready.pushAll(w.messages, w.next, w.next + n);
        admitted ||= n > 0;
      }
      w.next += n;
      if (w.next < w.messages.length) break;
      this.#settleWaiter(queue.waiters.shift()!, queue);
    }
    // A pump admits after delivering; another pump is only worth a
    // microtask if some consumer can still take what was just admitted.
    if (admitted && queue.consumers.some((c) => c.credit > 0)) this.schedulePump(queue);
  }

  #settleWaiter(w: PublishWaiter, queue: MemoryQueue, error?: unknown): void {
    queue.waitingCalls -= callsOf(w);
    if (w.onAbort) w.signal!.removeEventListener('abort', w.onAbort);
    if (error === undefined) w.resolve();
    else w.reject(error);
  }

  #removeWaiter(queue: MemoryQueue, waiter: PublishWaiter): void {
    const all = queue.waiters.drain();
    for (const w of all) if (w !== waiter) queue.waiters.push(w);
    if (queue.waiters.length < all.length) queue.waitingCalls--;
  }

  /** Why a publish to `queueName` cannot be taken: the driver is stopped, or the queue was never declared. */
  #refusal(queueName: string): Error {
    if (this.#stopped) return new DriverUnavailableError('DRIVER_STOPPED', `driver ${this.id} stopped`);
    return new NotFoundError('queue', queueName, `driver ${this.id}`);
  }

  #queueFull(queue: MemoryQueue): QueueFullError {
    return new QueueFullError(
      `publish to ${queue.name} on driver ${this.id}: queue full (max_length ${queue.maxLength}) and ${queue.waitingCalls} publish calls already waiting (max_waiting ${queue.maxWaiting}); nothing of this call was stored`,
    );
  }
}

/** A delay the driver can keep: a number of ms from 0 to what one timer can wait. */
function isDelay(ms: number): boolean {
  return typeof ms === 'number' && ms >= 0 && ms <= MAX_DELAY_MS;
}

function badDelay(ms: unknown, where: string): InvalidMessageError {
  return new InvalidMessageError(`${where}: delay must be a number of ms from 0 to ${MAX_DELAY_MS}, got ${String(ms)}`);
}
