import type { Consumption, Delivery, QueueInfo } from '../drivers/driver.ts';
import type { HandlerContext, MessageHandle } from '../functions/handler.ts';
import type { Headers } from '../message/message.ts';
import { childLogger, type Logger } from '../runtime/logger.ts';
import { DeliveryState } from './delivery-table.ts';

/** What a {@link DeliveryContext} needs from its consumer. */
export interface DeliveryHost {
  readonly consumerId: string;
  readonly logger: Logger;
  /** True once the consumer is shutting down: new signals start aborted. */
  readonly aborting: boolean;
  settleEarly(ctx: DeliveryContext, ack: boolean, reason?: unknown): void;
  publish: HandlerContext['publish'];
  info(queueId: string): Promise<QueueInfo>;
}

/**
 * The one object made per message: it is both the handler's
 * {@link HandlerContext} and its {@link MessageHandle} (`ctx.message === ctx`),
 * so a delivery costs a single allocation. The logger and AbortSignal are
 * made only if the handler reads them.
 */
export class DeliveryContext implements HandlerContext, MessageHandle {
  // Plain fields assigned in the constructor, not class-field initialisers
  // or #private fields: this object is made once per message, and measured
  // that way its construction costs about half as much.
  /** A {@link DeliveryState} value; moved only through the delivery table. */
  state: number;
  /** When the handler started (ms, `performance.now()`), only tracked when the consumer has a timeout. */
  startedAt: number;
  readonly delivery: Delivery;
  /** The subscription that delivered this message: settles go back through it even after a restart. */
  readonly consumption: Consumption;
  /** @internal */
  private readonly host: DeliveryHost;
  /** @internal Made on first read of `signal` (or by an abort). */
  private controller: AbortController | undefined;
  /** @internal Made on first read of `logger`. */
  private boundLogger: Logger | undefined;

  constructor(host: DeliveryHost, consumption: Consumption, delivery: Delivery) {
    this.state = DeliveryState.processing;
    this.startedAt = 0;
    this.host = host;
    this.consumption = consumption;
    this.delivery = delivery;
    this.controller = undefined;
    this.boundLogger = undefined;
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
    return this.host.consumerId;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.host.aborting) this.controller.abort(new Error('consumer is stopping'));
    }
    return this.controller.signal;
  }

  get logger(): Logger {
    return (this.boundLogger ??= childLogger(this.host.logger, { consumer: this.host.consumerId, message_id: this.delivery.id }));
  }

  header(name: string): Headers[string] | undefined {
    return this.delivery.headers[name];
  }

  ack(): void {
    this.host.settleEarly(this, true);
  }

  nack(reason?: unknown): void {
    this.host.settleEarly(this, false, reason);
  }

  publish(queueId: string, body: unknown, options?: { headers?: Readonly<Record<string, unknown>> }): Promise<void> {
    return this.host.publish(queueId, body, options);
  }

  info(queueId: string): Promise<QueueInfo> {
    return this.host.info(queueId);
  }

  /** @internal Fires the signal (shutdown or timeout). */
  abort(reason: unknown): void {
    if (this.controller) this.controller.abort(reason);
    else {
      this.controller = new AbortController();
      this.controller.abort(reason);
    }
  }
}
