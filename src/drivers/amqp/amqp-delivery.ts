import type { ConsumeMessage } from 'amqplib';
import type { Delivery } from '../driver.ts';
import type { Headers, Message } from '../../message/message.ts';
import type { ConsumerChannel } from './consumer-channel.ts';

/**
 * A message delivered by the broker, with what settling it needs: the raw
 * delivery (tag, original bytes) and the channel it came on. A channel
 * belongs to one connection, so a delivery that outlived a reconnect knows
 * it can no longer be settled (the broker redelivers it instead).
 *
 * @internal Consumers see only the {@link Delivery} fields.
 */
export class AmqpDelivery implements Delivery {
  readonly id: string;
  readonly body: unknown;
  readonly headers: Headers;
  /** @internal The broker's delivery: tag for ack/nack, bytes for a requeue copy. */
  readonly raw: ConsumeMessage;
  /** @internal The consumer channel that received it. */
  readonly channel: ConsumerChannel;
  /** @internal Set by the first settle; later settles are ignored (a second AMQP ack would kill the channel). */
  settled = false;
  /** @internal Acked, with the ack held for the channel's next coalesced flush. */
  ackHeld = false;
  /** @internal Its ack or nack frame has been written (what a coalesced multiple ack may pass over). */
  settleSent = false;
  /** @internal Acked when it was handed out (`auto_ack`): a requeue, dead-letter or release only publishes a copy. */
  autoAcked = false;
  /** @internal An auto-acked delivery whose one copy (requeue, dead-letter, release) has been started. */
  moved = false;

  constructor(message: Message, raw: ConsumeMessage, channel: ConsumerChannel) {
    this.id = message.id;
    this.body = message.body;
    this.headers = message.headers;
    this.raw = raw;
    this.channel = channel;
  }
}
