import type { Subscription } from 'rxjs';
import type { Consumption, Delivery, Driver, QueueInfo } from '../drivers/driver.ts';
import type { Handler, HandlerContext } from '../functions/handler.ts';
import type { Logger } from '../util/logger.ts';
import { AlreadySettledError, MessageReleasedError } from '../errors/message-errors.ts';
import { ActorqError } from '../errors/actorq-error.ts';
import { PrefetchBuffer } from './prefetch-buffer.ts';
import { DeliveryContext, type DeliveryHost, type DeliveryOwner } from './delivery-context.ts';
import { DELIVERY_EVENT_COUNT, DELIVERY_STATE_NAMES, DELIVERY_TABLE, DeliveryEventId, DeliveryState, NO_TRANSITION, nextDeliveryState } from './delivery-table.ts';
import { applyNack, logNack, reasonText, type DeadLetterTarget } from './settle-policy.ts';
import { PendingSettles } from './pending-settles.ts';
import { HandlerTimeouts } from './handler-timeouts.ts';
import { ConsumerCounters } from './consumer-counters.ts';
import { attemptsOf } from '../message/attempts.ts';
import { LatencySampler } from '../metrics/latency-sampler.ts';

const EV_ACK = DeliveryEventId['message.ack'];
const EV_NACK = DeliveryEventId['message.nack'];
const EV_RELEASE = DeliveryEventId['message.release'];
const EV_FINISH = DeliveryEventId['message.finish'];
const LATENCY_MASK = LatencySampler.SAMPLE_EVERY - 1;

/** Everything a {@link WorkerPool} is built from. */
export interface WorkerPoolOptions {
  readonly consumerId: string;
  readonly queueId: string;
  readonly queueName: string;
  readonly driver: Driver;
  readonly handler: Handler;
  readonly concurrency: number;
  readonly prefetch: number;
  /** Per-message handler limit in ms; undefined = none. */
  readonly timeout?: number;
  readonly deadLetter?: DeadLetterTarget;
  readonly logger: Logger;
  readonly publish: HandlerContext['publish'];
  readonly info: (queueId: string) => Promise<QueueInfo>;
  /** Called when the subscription breaks while the pool is accepting (for the consumer machine). */
  readonly onFailure: (error: unknown) => void;
}

/** One worker's place: the message it holds, and who waits for it to go idle. */
interface Slot extends DeliveryOwner {
  readonly index: number;
  readonly host: WorkerPool;
  /** The subscription that delivered `ctx`, set when the worker takes a message. */
  consumption: Consumption | undefined;
  ctx: DeliveryContext | undefined;
  busy: boolean;
  idleWaiters: (() => void)[];
  /** Start of a sampled handler call (ms), or 0. */
  t0: number;
  /** When the current handler started (ms), tracked only when the consumer has a timeout. */
  startedAt: number;
  /** Continuations made once per worker, so an async handler costs no closure per message. */
  onFulfilled: () => void;
  onRejected: (error: unknown) => void;
}

/**
 * The message path of one consumer: a bounded prefetch buffer and
 * `concurrency` worker loops.
 *
 * Flow control is credit: the pool grants the driver `prefetch +
 * concurrency` deliveries up front, and each message whose handler
 * finished earns one credit back, returned in batches. So the consumer
 * never holds more than `concurrency` messages in handlers plus `prefetch`
 * waiting, and when every worker is busy and the buffer is full the driver
 * delivers nothing: backpressure, with no per-message round trip.
 *
 * Lifecycle decisions (when to start, drain, give up) belong to the
 * consumer machine; this class only does what its actions ask.
 */
export class WorkerPool implements DeliveryHost {
  readonly consumerId: string;
  readonly logger: Logger;
  readonly counters = new ConsumerCounters();
  readonly #o: WorkerPoolOptions;
  readonly #buffer = new PrefetchBuffer();
  readonly #slots: Slot[];
  readonly #idleSlots: number[];
  readonly #window: number;
  readonly #creditBatch: number;
  /** Whether handlers have a time limit (checked per message, so kept as a plain flag). */
  readonly #timed: boolean;
  #consumption: Consumption | undefined;
  #subscription: Subscription | undefined;
  #accepting = false;
  #aborting = false;
  #pendingCredit = 0;
  #running = 0;
  readonly #settles: PendingSettles;
  #drainWaiters: (() => void)[] = [];
  readonly #timeouts = new HandlerTimeouts<Slot>();
  /** Handler latency, sampled; undefined (and free) until metrics ask for it. */
  #latency: LatencySampler | undefined;
  #latencyTick = 0;

  constructor(options: WorkerPoolOptions) {
    this.#o = options;
    this.consumerId = options.consumerId;
    this.logger = options.logger;
    this.#settles = new PendingSettles(options.consumerId, options.logger);
    this.#window = options.prefetch + options.concurrency;
    this.#timed = options.timeout !== undefined;
    // Return credit in halves of the window: few requests keep the driver's
    // pump cheap and its batches large, while the other half still buffered
    // keeps the workers fed until the refill lands.
    this.#creditBatch = Math.max(1, Math.floor(this.#window / 2));
    this.#slots = Array.from({ length: options.concurrency }, (_, index) => this.#makeSlot(index));
    this.#idleSlots = this.#slots.map((s) => s.index).reverse();
  }

  /** Messages waiting in the prefetch buffer. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Handlers running now. */
  get running(): number {
    return this.#running;
  }

  /**
   * Handler latency samples. The first read switches sampling on (one
   * message in {@link LatencySampler.SAMPLE_EVERY} timed); until then the
   * hot path pays one property check.
   */
  get latency(): LatencySampler {
    return (this.#latency ??= new LatencySampler());
  }

  get aborting(): boolean {
    return this.#aborting;
  }

  /** Subscribes to the queue and grants the first window of credit. */
  start(): void {
    const consumption = this.#o.driver.consume(this.#o.queueName, { consumerId: this.consumerId, maxUnsettled: this.#window });
    this.#consumption = consumption;
    this.#accepting = true;
    this.#aborting = false;
    this.#pendingCredit = 0;
    this.#subscription = consumption.deliveries.subscribe({
      next: (batch) => this.#onBatch(consumption, batch),
      error: (error: unknown) => this.#onEnd(consumption, error),
      complete: () => this.#onEnd(consumption, undefined),
    });
    consumption.request(this.#window);
    if (this.#o.timeout !== undefined) {
      const isRunning = (slot: Slot) => slot.ctx !== undefined && slot.ctx.state === DeliveryState.processing;
      this.#timeouts.start(this.#slots, this.#o.timeout, isRunning, (slot) => this.#expire(slot));
    }
  }

  /**
   * Stops taking messages: cancels the subscription, gives buffered
   * messages back to the queue untouched, and fires every running
   * handler's signal. Handlers already running carry on.
   */
  beginDrain(): void {
    this.#accepting = false;
    this.#aborting = true;
    this.#timeouts.stop();
    const consumption = this.#consumption;
    this.#consumption = undefined;
    if (!consumption) return;
    this.#settles.track(consumption.cancel());
    const buffered = this.#buffer.drain();
    if (buffered.length > 0) {
      this.counters.released += buffered.length;
      this.#settles.track(consumption.release(buffered));
    }
    const reason = new ActorqError('ABORTED', `consumer ${this.consumerId} is stopping`);
    for (const slot of this.#slots) slot.ctx?.abort(reason);
  }

  /** Resolves when no handler runs and every settle reached the driver. */
  async drained(): Promise<void> {
    while (this.#running > 0 || this.#settles.size > 0) {
      if (this.#running > 0) await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
      else await this.#settles.settled();
    }
    this.#subscription?.unsubscribe();
  }

  /** Resolves when worker `index` holds no message. */
  slotIdle(index: number): Promise<void> {
    const slot = this.#slots[index];
    if (!slot || !slot.busy) return Promise.resolve();
    return new Promise((resolve) => slot.idleWaiters.push(resolve));
  }

  /**
   * Shutdown gave up waiting: messages whose handlers are still running go
   * back to the queue untouched. A late result from such a handler is
   * ignored (the delivery is `released`). Returns how many were released.
   */
  abandonInFlight(): number {
    let released = 0;
    for (const slot of this.#slots) {
      const ctx = slot.ctx;
      if (!ctx || !this.#move(ctx, EV_RELEASE)) continue;
      released++;
      this.#settles.track(ctx.consumption.release([ctx.delivery]));
    }
    this.counters.released += released;
    return released;
  }

  settleEarly(ctx: DeliveryContext, ack: boolean, reason?: unknown): void {
    const event = ack ? EV_ACK : EV_NACK;
    if (nextDeliveryState(ctx.state, event) === NO_TRANSITION) {
      if (ctx.state === DeliveryState.acked || ctx.state === DeliveryState.nacked) {
        throw new AlreadySettledError(ctx.delivery.id, DELIVERY_STATE_NAMES[ctx.state]!);
      }
      throw new MessageReleasedError(ctx.delivery.id);
    }
    if (ack) this.#ack(ctx);
    else this.#nack(ctx, reason ?? 'nacked by handler');
  }

  publish: HandlerContext['publish'] = (queueId, body, options) => this.#o.publish(queueId, body, options);
  info = (queueId: string): Promise<QueueInfo> => this.#o.info(queueId);

  #onBatch(consumption: Consumption, batch: readonly Delivery[]): void {
    if (!this.#accepting || consumption !== this.#consumption) {
      // Arrived after the drain began: straight back, untouched.
      this.counters.released += batch.length;
      this.#settles.track(consumption.release(batch));
      return;
    }
    this.counters.delivered += batch.length;
    const buffer = this.#buffer;
    buffer.pushBatch(batch);
    const idle = this.#idleSlots;
    const wake = Math.min(idle.length, buffer.length);
    if (wake === 1) {
      this.#work(this.#slots[idle.pop()!]!, buffer.shift()!);
    } else if (wake > 1) {
      // Hand every idle worker its message before any handler runs, so the
      // buffer never shows more than `prefetch` to a running handler.
      const starts: [Slot, Delivery][] = new Array(wake);
      for (let i = 0; i < wake; i++) starts[i] = [this.#slots[idle.pop()!]!, buffer.shift()!];
      for (const [slot, first] of starts) this.#work(slot, first);
    }
  }

  /**
   * One worker's loop: `first`, then from the buffer until it is empty or
   * the pool drains. Synchronous handlers loop here; an async one parks the
   * worker on its promise and the slot's continuation resumes the loop. A
   * callback chain rather than an `async` loop: resuming an async function
   * per message measured slower than a plain callback.
   */
  #work(slot: Slot, first: Delivery): void {
    slot.busy = true;
    const handler = this.#o.handler;
    let delivery: Delivery | undefined = first;
    while (delivery !== undefined) {
      const ctx = this.#begin(slot, delivery);
      let result: unknown;
      try {
        result = handler(delivery.body, ctx);
      } catch (error) {
        this.#fail(ctx, error);
        delivery = this.#finish(slot, ctx);
        continue;
      }
      if (result instanceof Promise) {
        result.then(slot.onFulfilled, slot.onRejected);
        return;
      }
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        // A foreign thenable may call back twice or synchronously: adopt it first.
        Promise.resolve(result).then(slot.onFulfilled, slot.onRejected);
        return;
      }
      this.#succeed(ctx);
      delivery = this.#finish(slot, ctx);
    }
    this.#park(slot);
  }

  #makeSlot(index: number): Slot {
    // Plain data fields only: a getter here would give every slot a slower
    // shape, and the hot path reads slot fields per message (measured:
    // +700 instructions a message under callgrind).
    const slot: Slot = {
      index,
      host: this,
      consumption: undefined,
      ctx: undefined,
      busy: false,
      idleWaiters: [],
      t0: 0,
      startedAt: 0,
      onFulfilled: () => {
        this.#succeed(slot.ctx!);
        this.#resume(slot);
      },
      onRejected: (error: unknown) => {
        this.#fail(slot.ctx!, error);
        this.#resume(slot);
      },
    };
    return slot;
  }

  /** After an async handler settled: finish its message and carry on with the next. */
  #resume(slot: Slot): void {
    const next = this.#finish(slot, slot.ctx!);
    if (next !== undefined) this.#work(slot, next);
    else this.#park(slot);
  }

  #begin(slot: Slot, delivery: Delivery): DeliveryContext {
    slot.consumption = this.#consumption;
    const ctx = new DeliveryContext(slot, delivery);
    slot.ctx = ctx;
    this.#running++;
    if (this.#timed) slot.startedAt = performance.now();
    if (this.#latency !== undefined) slot.t0 = (++this.#latencyTick & LATENCY_MASK) === 0 ? performance.now() : 0;
    return ctx;
  }

  #succeed(ctx: DeliveryContext): void {
    if (ctx.state === DeliveryState.processing) this.#ack(ctx);
  }

  #fail(ctx: DeliveryContext, error: unknown): void {
    if (ctx.state === DeliveryState.processing) this.#nack(ctx, error);
    else if (ctx.state !== DeliveryState.released) this.counters.lateErrors++;
  }

  /** Closes a message's life, returns credit, and takes the next message (or nothing when draining). */
  #finish(slot: Slot, ctx: DeliveryContext): Delivery | undefined {
    if (slot.t0 !== 0) {
      this.#latency!.record(performance.now() - slot.t0);
      slot.t0 = 0;
    }
    ctx.state = DELIVERY_TABLE[ctx.state * DELIVERY_EVENT_COUNT + EV_FINISH]!;
    slot.ctx = undefined;
    this.#running--;
    const next = this.#accepting ? this.#buffer.shift() : undefined;
    const consumption = ctx.consumption;
    // Credit only for the subscription that delivered the message: after a
    // restart, old messages finishing must not widen the new window. Flush
    // early when the buffer ran dry, so an idle pool never sits on credit.
    if (consumption === this.#consumption && (++this.#pendingCredit >= this.#creditBatch || next === undefined)) {
      const credit = this.#pendingCredit;
      this.#pendingCredit = 0;
      consumption.request(credit);
    }
    return next;
  }

  /** The worker has nothing to do: mark it idle and wake whoever waits for that. */
  #park(slot: Slot): void {
    slot.busy = false;
    this.#idleSlots.push(slot.index);
    if (slot.idleWaiters.length > 0) for (const w of slot.idleWaiters.splice(0)) w();
    if (this.#running === 0 && this.#drainWaiters.length > 0) for (const w of this.#drainWaiters.splice(0)) w();
  }

  #move(ctx: DeliveryContext, event: number): boolean {
    const next = nextDeliveryState(ctx.state, event);
    if (next === NO_TRANSITION) return false;
    ctx.state = next;
    return true;
  }

  #ack(ctx: DeliveryContext): void {
    ctx.state = DeliveryState.acked;
    this.counters.acked++;
    const pending = ctx.consumption.ack(ctx.delivery);
    if (pending !== undefined) this.#settles.track(pending);
  }

  #nack(ctx: DeliveryContext, reason: unknown): void {
    ctx.state = DeliveryState.nacked;
    this.counters.nacked++;
    const o = this.#o;
    const { outcome, pending } = applyNack(ctx.consumption, ctx.delivery, reason, o.queueId, o.driver, o.deadLetter, this.logger);
    if (pending !== undefined) this.#settles.track(pending);
    if (outcome === 'dead_lettered') this.counters.deadLettered++;
    const attempts = attemptsOf(ctx.delivery.headers) + 1;
    logNack(this.logger, outcome, { consumer: this.consumerId, message_id: ctx.delivery.id, error: reasonText(reason) }, attempts, o.deadLetter?.queueId);
  }

  #onEnd(consumption: Consumption, error: unknown): void {
    if (consumption !== this.#consumption || !this.#accepting) return;
    this.#o.onFailure(error ?? new ActorqError('LIFECYCLE', `subscription of consumer ${this.consumerId} to ${this.#o.queueId} ended`));
  }

  /**
   * A handler ran past the consumer's `timeout`: fire its signal and nack
   * its message. The worker stays busy until the handler really returns,
   * so the concurrency bound holds; the message is retried meanwhile.
   */
  #expire(slot: Slot): void {
    const ctx = slot.ctx;
    if (!ctx || ctx.state !== DeliveryState.processing) return;
    const error = new ActorqError('HANDLER_TIMEOUT', `handler of ${this.consumerId} exceeded its timeout of ${this.#o.timeout}ms`);
    ctx.abort(error);
    this.#nack(ctx, error);
  }
}
