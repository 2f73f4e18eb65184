import type { Message as SqsMessage } from '@aws-sdk/client-sqs';
import type { Headers, Message } from '../../message/message.ts';

/**
 * A received SQS message as handed to a consumer: the {@link Message} part
 * plus what settling it needs. One object per message. @internal
 */
export class SqsDelivery implements Message {
  readonly id: string;
  readonly body: unknown;
  readonly headers: Headers;
  /** The message as SQS returned it (body text, attributes, receipt handle). */
  readonly raw: SqsMessage;
  /** `Date.now()` when it was received: SQS lets a receipt stay hidden for at most 12 hours from then. */
  readonly receivedAt: number;
  /** `Date.now()` when it becomes visible again unless settled or extended. */
  visibleUntil: number;
  /** Settled, or being moved (a copy under way): the heartbeat no longer extends it, a second settle is ignored. */
  settled = false;
  /** `actorq.due` (Unix ms) of a message on its way through a delay longer than SQS's 15 minutes; 0 when none. */
  due = 0;

  constructor(id: string, body: unknown, headers: Headers, raw: SqsMessage, receivedAt: number, visibleUntil: number) {
    this.id = id;
    this.body = body;
    this.headers = headers;
    this.raw = raw;
    this.receivedAt = receivedAt;
    this.visibleUntil = visibleUntil;
  }

  /** The receipt handle of this receive. */
  get receipt(): string {
    return this.raw.ReceiptHandle!;
  }
}
