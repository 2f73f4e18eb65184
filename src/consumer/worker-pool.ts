import type { Subscription } from 'rxjs';
import type { Consumption, Delivery, QueueInfo } from '../drivers/driver.ts';
import type { Handler, HandlerContext } from '../functions/handler.ts';
import type { Logger } from '../util/logger.ts';
import { AlreadySettledError } from '../errors/message-errors.ts';
import { ActorqError } from '../errors/actorq-error.ts';
import { PrefetchBuffer } from './prefetch-buffer.ts';
import { DeliveryContext, type DeliveryHost } from './delivery-context.ts';
import type { Slot } from './worker-slot.ts';
import type { WorkerPoolOptions } from './worker-pool-options.ts';
import { DELIVERY_EVENT_COUNT, DELIVERY_STATE_NAMES, DELIVERY_TABLE, DeliveryEventId, DeliveryState, NO_TRANSITION, SETTLE_TABLE, SettleAction } from './delivery-table.ts';
import { applyNack, logNack, reasonText } from './settle-policy.ts';
import { PendingSettles } from './pending-settles.ts';
import { DrainWaiters } from './drain-waiters.ts';
import { HandlerTimeouts } from './handler-timeouts.ts';
import { ConsumerCounters } from './consumer-counters.ts';
import { attemptsOf } from '../message/attempts.ts';
import { LatencySampler } from '../metrics/latency-sampler.ts';
import type { BackoffOptions } from '../util/backoff.ts';
import type { AccessGuard } from '../security/access-guard.ts';


export type { WorkerPoolOptions } from './worker-pool-options.ts';
const EVENTS = DELIVERY_EVENT_COUNT;
const EV_ACK = DeliveryEventId['message.ack'];
const EV_NACK = DeliveryEventId['message.nack'];
const EV_RELEASE = DeliveryEventId['message.release'];
const EV_RETURN = DeliveryEventId['message.return'];
const EV_FAIL = DeliveryEventId['message.fail'];
const EV_TIMEOUT = DeliveryEventId['message.timeout'];
const ACT_ACK = SettleAction.settleAck;
const ACT_NACK = SettleAction.settleNack;
const ACT_RELEASE = SettleAction.settleRelease;

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
  /** The consumer's actor and policies; undefined when nothing is checked. */
  readonly security: AccessGuard | undefined;
  readonly #o: WorkerPoolOptions;
  readonly #buffer = new PrefetchBuffer();
  readonly #slots: Slot[];
  readonly #idleSlots: number[];
  readonly #window: number;
  readonly #creditBatch: number;
  /** The queue's retry policy in backoff terms, converted once; read only on a nack. */
  readonly #retry: BackoffOptions | undefined;
  #handler: Handler | undefined;
  #consumption: Consumption | undefined;
  #subscription: Subscription | undefined;
  #accepting = false;
  #aborting = false;
  #pendingCredit = 0;
  #running = 0;
  readonly #settles: PendingSettles;
  readonly #drainWaiters = new DrainWaiters();
  readonly #timeouts = new HandlerTimeouts<Slot>();
  /** Handler latency, sampled from the first message on (a countdown per message; two clock reads per sample). */
  readonly #latency = new LatencySampler();
  /** Messages until the next one is timed (counted down: cheaper per message than a counter and a mask). */
  #untilSample = 1;

  constructor(options: WorkerPoolOptions) {
    this.#o = options;
    this.consumerId = options.consumerId;
    this.logger = options.logger;
    this.security = options.security;
    this.#settles = new PendingSettles(options.consumerId, options.logger);
    this.#window = options.prefetch + options.concurrency;
    const r = options.retry;
    this.#retry = r && { initialDelay: r.initial_delay, maxDelay: r.max_delay, factor: r.backoff_factor, jitter: r.jitter };
    this.#handler = options.handler;
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

  /** Handler latency samples: one message in 16 timed from the start (fewer while handlers are very fast). */
  get latency(): LatencySampler {
    return this.#latency;
  }

  get aborting(): boolean {
    return this.#aborting;
  }

  /** Sets the handler the next messages go to (a function entry loaded, or loaded again, at start). */
  useHandler(handler: Handler): void {
    this.#handler = handler;
  }

  /** Subscribes to the queue and grants the first window of credit. */
  start(): void {
    if (this.#handler === undefined) throw new ActorqError('LIFECYCLE', `consumer ${this.consumerId} has no handler: its function was not loaded`);
    // Refused before subscribing: a consumer that may not consume takes nothing.
    const denied = this.security?.checkConsume(this.#o.queueId);
    if (denied !== undefined) throw denied;
    const o = this.#o;
    const consumption = o.driver.consume(o.queueName, { consumerId: this.consumerId, maxUnsettled: this.#window, driverOptions: o.driverOptions, autoAck: o.autoAck });
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
      this.#timeouts.start(this.#slots, this.#o.timeout, (slot) => slot.ctx, (slot) => this.#expire(slot));
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

  /**
   * Resolves when no handler runs and every settle reached the driver, then
   * closes the subscription that was current when the wait began, and only
   * that one: a wait that ends late (after the consumer was started again)
   * can never touch the newer subscription. `signal` cancels the wait.
   */
  drained(signal?: AbortSignal): Promise<void> {
    const subscription = this.#subscription;
    const close = () => {
      subscription?.unsubscribe();
      if (this.#subscription === subscription) this.#subscription = undefined;
    };
    return this.#drainWaiters.wait(() => this.#running, this.#settles, close, signal);
  }

  /** Resolves when worker `index` holds no message. */
  slotIdle(index: number): Promise<void> {
    const slot = this.#slots[index];
    if (!slot || !slot.busy) return Promise.resolve();
    return new Promise((resolve) => slot.idleWaiters.push(resolve));
  }

  /**
   * Shutdown gave up waiting: messages whose handlers are still running go
   * back to the queue untouched, and those handlers are detached from their
   * workers, so a late result can touch neither the message (it is
   * `released`) nor the worker (which the next start reuses). Returns how
   * many messages were released.
   */
  abandonInFlight(): number {
    let released = 0;
    for (const slot of [...this.#slots]) {
      const ctx = slot.ctx;
      if (!ctx) continue;
      if (this.#step(ctx, EV_RELEASE, undefined)) released++;
      this.#detach(slot);
    }
    return released;
  }

  /**
   * A handler's `ack()`/`nack()`. Returns whether it settled the message.
   * A second settle while the handler runs throws {@link AlreadySettledError}
   * (into the handler, a bug worth seeing). Once the handler's call is over
   * (returned, failed, past its timeout, or released at shutdown) a settle is
   * late: it is ignored and logged, never thrown, because it typically
   * comes from a timer where a throw would end the process.
   */
  settleEarly(ctx: DeliveryContext, ack: boolean, reason?: unknown): boolean {
    if (this.#step(ctx, ack ? EV_ACK : EV_NACK, reason ?? 'nacked by handler')) return true;
    if (ctx.state === DeliveryState.acked || ctx.state === DeliveryState.nacked) {
      throw new AlreadySettledError(ctx.delivery.id, DELIVERY_STATE_NAMES[ctx.state]!);
    }
    this.counters.lateSettles++;
    this.logger.warn(`${ack ? 'ack' : 'nack'} after the handler finished; ignored`, {
      consumer: this.consumerId,
      message_id: ctx.delivery.id,
      state: DELIVERY_STATE_NAMES[ctx.state],
    });
    return false;
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
    const handler = this.#handler!;
    let delivery: Delivery | undefined = first;
    while (delivery !== undefined) {
      const ctx = this.#begin(slot, delivery);
      let result: unknown;
      try {
        result = handler(delivery.body, ctx);
      } catch (error) {
        this.#fail(ctx, error);
        delivery = this.#finish(slot);
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
      this.#step(ctx, EV_RETURN, undefined);
      delivery = this.#finish(slot);
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
      detached: false,
      idleWaiters: [],
      t0: 0,
      watched: undefined,
      watchedSince: 0,
      onFulfilled: () => {
        if (slot.detached) return this.#late(slot.ctx!, EV_RETURN, undefined);
        this.#step(slot.ctx!, EV_RETURN, undefined);
        this.#resume(slot);
      },
      onRejected: (error: unknown) => {
        if (slot.detached) return this.#late(slot.ctx!, EV_FAIL, error);
        this.#fail(slot.ctx!, error);
        this.#resume(slot);
      },
    };
    return slot;
  }

  /** After an async handler settled: finish its message and carry on with the next. */
  #resume(slot: Slot): void {
    const next = this.#finish(slot);
    if (next !== undefined) this.#work(slot, next);
    else this.#park(slot);
  }

  #begin(slot: Slot, delivery: Delivery): DeliveryContext {
    slot.consumption = this.#consumption;
    const ctx = new DeliveryContext(slot, delivery);
    slot.ctx = ctx;
    this.#running++;
    if (--this.#untilSample === 0) {
      this.#untilSample = this.#latency.sampleMask + 1;
      slot.t0 = performance.now();
    }
    return ctx;
  }

  /**
   * Moves a message through the delivery table and performs the settle the
   * transition names. Returns false when the machine has no such transition.
   */
  #step(ctx: DeliveryContext, event: number, reason: unknown): boolean {
    const cell = ctx.state * EVENTS + event;
    const next = DELIVERY_TABLE[cell]!;
    if (next === NO_TRANSITION) return false;
    ctx.state = next;
    const action = SETTLE_TABLE[cell];
    if (action === ACT_ACK) this.#ack(ctx);
    else if (action === ACT_NACK) this.#nack(ctx, reason);
    else if (action === ACT_RELEASE) {
      this.counters.released++;
      this.#settles.track(ctx.consumption.release([ctx.delivery]));
    }
    return true;
  }

  /** The handler failed: nack, or, when it had settled early, note the error it threw after. */
  #fail(ctx: DeliveryContext, error: unknown): void {
    const early = ctx.state === DeliveryState.acked || ctx.state === DeliveryState.nacked;
    if (this.#step(ctx, EV_FAIL, error) && early) this.counters.lateErrors++;
  }

  /** Frees the worker of its message, returns credit, and takes the next message (or nothing when draining). */
  #finish(slot: Slot): Delivery | undefined {
    if (slot.t0 !== 0) {
      this.#latency.record(performance.now() - slot.t0);
      slot.t0 = 0;
    }
    const consumption = slot.ctx!.consumption;
    slot.ctx = undefined;
    this.#running--;
    const next = this.#accepting ? this.#buffer.shift() : undefined;
    this.#returnCredit(consumption, next === undefined);
    return next;
  }

  /**
   * One message's credit back to the subscription that delivered it: after
   * a restart, old messages finishing must not widen the new window. Flushed
   * early when the buffer ran dry, so an idle pool never sits on credit.
   */
  #returnCredit(consumption: Consumption, flush: boolean): void {
    if (consumption !== this.#consumption) return;
    if (++this.#pendingCredit >= this.#creditBatch || flush) {
      const credit = this.#pendingCredit;
      this.#pendingCredit = 0;
      consumption.request(credit);
    }
  }

  /** The worker has nothing to do: mark it idle and wake whoever waits for that. */
  #park(slot: Slot): void {
    slot.busy = false;
    this.#idleSlots.push(slot.index);
    if (slot.idleWaiters.length > 0) for (const w of slot.idleWaiters.splice(0)) w();
    this.#wakeDrain();
  }

  #wakeDrain(): void {
    if (this.#running === 0) this.#drainWaiters.wake();
  }

  /**
   * Takes a still-running handler away from its worker: the worker gets a
   * fresh slot (and goes on with the next message when the pool accepts),
   * while the old slot object stays with the handler, marked detached, so
   * its continuations only record the late result. The handler's message
   * must already be settled or released.
   */
  #detach(slot: Slot): void {
    const ctx = slot.ctx!;
    const fresh = this.#makeSlot(slot.index);
    this.#slots[slot.index] = fresh;
    slot.detached = true;
    slot.t0 = 0;
    this.#running--;
    this.counters.detached++;
    if (slot.idleWaiters.length > 0) for (const w of slot.idleWaiters.splice(0)) w();
    const next = this.#accepting ? this.#buffer.shift() : undefined;
    this.#returnCredit(ctx.consumption, next === undefined);
    if (next !== undefined) this.#work(fresh, next);
    else this.#park(fresh);
  }

  /** A detached handler finished: its result changes nothing but the record. */
  #late(ctx: DeliveryContext, event: number, error: unknown): void {
    this.#step(ctx, event, error);
    this.counters.detached--;
    this.counters.lateResults++;
    this.logger.warn('a handler detached from its worker finished late; its result is ignored', {
      consumer: this.consumerId,
      message_id: ctx.delivery.id,
      ...(event === EV_FAIL ? { error: reasonText(error) } : {}),
    });
  }

  #ack(ctx: DeliveryContext): void {
    this.counters.acked++;
    const pending = ctx.consumption.ack(ctx.delivery);
    if (pending !== undefined) this.#settles.track(pending);
  }

  #nack(ctx: DeliveryContext, reason: unknown): void {
    this.counters.nacked++;
    const o = this.#o;
    const { outcome, delayMs, pending } = applyNack(ctx.consumption, ctx.delivery, reason, o.queueId, o.driver, o.deadLetter, this.#retry, this.logger);
    if (pending !== undefined) this.#settles.track(pending);
    if (outcome === 'dead_lettered') this.counters.deadLettered++;
    const attempts = attemptsOf(ctx.delivery.headers) + 1;
    logNack(this.logger, outcome, { consumer: this.consumerId, message_id: ctx.delivery.id, error: reasonText(reason) }, attempts, o.deadLetter?.queueId, delayMs);
  }

  #onEnd(consumption: Consumption, error: unknown): void {
    if (consumption !== this.#consumption || !this.#accepting) return;
    this.#o.onFailure(error ?? new ActorqError('LIFECYCLE', `subscription of consumer ${this.consumerId} to ${this.#o.queueId} ended`));
  }

  /**
   * A handler ran past the consumer's `timeout`: fire its signal, nack its
   * message (unless it settled early) and detach it from its worker, which
   * goes on with the next message. A JavaScript call cannot be killed, so
   * the handler may still finish; its late result is ignored and logged
   * (`lateResults`), and `detached` counts such handlers meanwhile.
   */
  #expire(slot: Slot): void {
    const ctx = slot.ctx;
    if (!ctx) return;
    const error = new ActorqError('HANDLER_TIMEOUT', `handler of ${this.consumerId} exceeded its timeout of ${this.#o.timeout}ms`);
    ctx.abort(error);
    this.#step(ctx, EV_TIMEOUT, error);
    this.#detach(slot);
  }
}
