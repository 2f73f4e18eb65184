import type { Consumption, Delivery, QueueInfo } from '../drivers/driver.ts';
import type { HandlerContext, HandlerPublishOptions, MessageHandle, NackOptions } from '../functions/handler.ts';
import { delayProblem, tryParseDelay } from '../message/delay.ts';
import { InvalidMessageError } from '../errors/message-errors.ts';
import { DelayedNack } from './settle-policy.ts';
import type { Headers } from '../message/message.ts';
import { BoundLogger, type LogFields, type Logger } from '../util/logger.ts';
import { DeliveryState } from './delivery-table.ts';
import type { AccessGuard } from '../security/access-guard.ts';
import type { CheckMeta, SecurityActor } from '../security/security-actor.ts';

/** What a {@link DeliveryContext} needs from its consumer. */
export interface DeliveryHost {
  readonly consumerId: string;
  readonly logger: Logger;
  /** True once the consumer is shutting down: new signals start aborted. */
  readonly aborting: boolean;
  settleEarly(ctx: DeliveryContext, ack: boolean, reason?: unknown): boolean;
  publish: HandlerContext['publish'];
  info(queueId: string): Promise<QueueInfo>;
  /** The consumer's actor and policies; undefined when nothing is checked. */
  readonly security: AccessGuard | undefined;
}

/**
 * The worker that handles a message: its consumer, and the subscription
 * its current message came from. A context reads it only while it is that
 * worker's current message, the only time a settle is allowed.
 */
export interface DeliveryOwner {
  readonly host: DeliveryHost;
  readonly consumption: Consumption | undefined;
}

/** A context's AbortController, made on first use. */
interface Extras {
  controller?: AbortController;
}

/**
 * Kept beside the contexts rather than in them: almost no handler reads
 * its signal, and a field for it would make every per-message object
 * larger.
 */
const EXTRAS = new WeakMap<DeliveryContext, Extras>();

function extrasOf(ctx: DeliveryContext): Extras {
  let extras = EXTRAS.get(ctx);
  if (extras === undefined) EXTRAS.set(ctx, (extras = {}));
  return extras;
}

/**
 * The one object made per message: it is both the handler's
 * {@link HandlerContext} and its {@link MessageHandle} (`ctx.message === ctx`),
 * so a delivery costs a single allocation. The logger and AbortSignal are
 * made only if the handler reads them.
 */
export class DeliveryContext implements HandlerContext, MessageHandle {
  // Three plain fields assigned in the constructor (no class-field
  // initialisers, no #private fields, the consumer and subscription reached
  // through the worker, the rarely used parts in a WeakMap): this object is
  // made once per message, and its size and construction showed up in the
  // hot path's allocation and GC profile.
  /** A {@link DeliveryState} value; moved only through the delivery table. */
  state: number;
  readonly delivery: Delivery;
  /** @internal The worker handling this message. */
  readonly owner: DeliveryOwner;

  constructor(owner: DeliveryOwner, delivery: Delivery) {
    this.state = DeliveryState.processing;
    this.owner = owner;
    this.delivery = delivery;
  }

  /** @internal The subscription that delivered this message: settles go back through it, even after a restart. */
  get consumption(): Consumption {
    return this.owner.consumption!;
  }

  get message(): MessageHandle {
    return this;
  }

  get id(): string {
    return this.delivery.id;
  }

  get headers(): Readonly<Headers> {
    return this.delivery.headers;
  }

  get consumerId(): string {
    return this.owner.host.consumerId;
  }

  get signal(): AbortSignal {
    const extras = extrasOf(this);
    if (!extras.controller) {
      extras.controller = new AbortController();
      if (this.owner.host.aborting) extras.controller.abort(new Error('consumer is stopping'));
    }
    return extras.controller.signal;
  }

  /**
   * The consumer's logger, with this message's fields: a new small object
   * on each read (its logger, this context, how to make the fields), where
   * keeping one in the WeakMap beside the context cost far more than making
   * it again: with the entry (and the bound-fields object and five closures
   * it held) a handler logging once a message took about 25 us a message
   * end to end on the in-memory driver, without it under 3.
   */
  get logger(): Logger {
    return new BoundLogger(this.owner.host.logger, this, messageFields);
  }

  header(name: string): Headers[string] | undefined {
    return this.delivery.headers[name];
  }

  ack(): boolean {
    return this.owner.host.settleEarly(this, true);
  }

  nack(reason?: unknown, options?: NackOptions): boolean {
    let why = reason;
    let delay = options?.delay;
    if (options === undefined && isNackOptions(reason)) {
      why = reason.reason;
      delay = reason.delay;
    }
    if (delay === undefined) return this.owner.host.settleEarly(this, false, why);
    const ms = tryParseDelay(delay);
    if (ms !== undefined) return this.owner.host.settleEarly(this, false, new DelayedNack(why ?? 'nacked by handler', ms));
    // A bad delay is the handler's bug: refused (nothing settled) while it runs;
    // later, settleEarly reports the settle as late (logged, never thrown).
    if (this.state === DeliveryState.processing) throw new InvalidMessageError(`nack of message ${this.delivery.id}: delay ${delayProblem(delay)}`);
    return this.owner.host.settleEarly(this, false, why);
  }

  get actor(): SecurityActor | undefined {
    return this.owner.host.security?.actor;
  }

  can(action: string, resource: string, meta?: CheckMeta): boolean {
    const guard = this.owner.host.security;
    return guard === undefined ? true : guard.allows(action, resource, meta);
  }

  publish(queueId: string, body: unknown, options?: HandlerPublishOptions): Promise<void> {
    const host = this.owner.host;
    // Checked here, with the consumer's actor: nothing reaches the queue when refused.
    const denied = host.security?.checkPublish(queueId);
    if (denied !== undefined) return Promise.reject(denied);
    return host.publish(queueId, body, options);
  }

  info(queueId: string): Promise<QueueInfo> {
    const host = this.owner.host;
    const denied = host.security?.checkInfo(queueId);
    if (denied !== undefined) return Promise.reject(denied);
    return host.info(queueId);
  }

  /** @internal Fires the signal (shutdown or timeout). */
  abort(reason: unknown): void {
    const extras = extrasOf(this);
    extras.controller ??= new AbortController();
    extras.controller.abort(reason);
  }
}

/**
 * A handler's record fields: `consumer` and `message_id` in front of the
 * record's own. Made only for a record the consumer's logger writes: the
 * message ID in particular, which on the in-memory driver is a UUID made
 * on its first read.
 */
function messageFields(ctx: DeliveryContext, fields: LogFields | undefined): LogFields {
  return { consumer: ctx.consumerId, message_id: ctx.delivery.id, ...fields };
}

/**
 * Whether a single `nack` argument is its options rather than its reason: a
 * plain object with at least one key and no keys but `delay` and `reason`.
 * Anything else (an Error, a string, `{ code: 42 }`) is a reason, as before.
 */
function isNackOptions(value: unknown): value is NackOptions {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  let keys = 0;
  for (const key in value) {
    if (key !== 'delay' && key !== 'reason') return false;
    keys++;
  }
  return keys > 0;
}
