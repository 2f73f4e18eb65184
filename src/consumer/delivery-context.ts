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
  // Five plain fields assigned in the constructor (no class-field
  // initialisers, no #private fields, rarely used parts behind `extras`):
  // this object is made once per message, and its size and construction
  // showed up in the hot path's allocation and GC profile.
  /** A {@link DeliveryState} value; moved only through the delivery table. */
  state: number;
  readonly delivery: Delivery;
  /** The subscription that delivered this message: settles go back through it even after a restart. */
  readonly consumption: Consumption;
  /** @internal */
  private readonly host: DeliveryHost;
  /** @internal The AbortController and bound logger, made on first use. */
  private extras: { controller?: AbortController; logger?: Logger } | undefined;

  constructor(host: DeliveryHost, consumption: Consumption, delivery: Delivery) {
    this.state = DeliveryState.processing;
    this.host = host;
    this.consumption = consumption;
    this.delivery = delivery;
    this.extras = undefined;
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
    const extras = (this.extras ??= {});
    if (!extras.controller) {
      extras.controller = new AbortController();
      if (this.host.aborting) extras.controller.abort(new Error('consumer is stopping'));
    }
    return extras.controller.signal;
  }

  get logger(): Logger {
    const extras = (this.extras ??= {});
    return (extras.logger ??= childLogger(this.host.logger, { consumer: this.host.consumerId, message_id: this.delivery.id }));
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
    const extras = (this.extras ??= {});
    extras.controller ??= new AbortController();
    extras.controller.abort(reason);
  }
}
