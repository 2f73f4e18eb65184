import type { Headers } from '../../message/message.ts';
import type { SqsSend } from './sqs-connection.ts';
import { encodeCopy, type UndecodableMessage } from './sqs-codec.ts';
import { storableJson } from './sqs-attributes.ts';
import type { SqsQueue, SqsQueues } from './sqs-queues.ts';
import { parkedQueueName } from './sqs-queues.ts';
import { sendCopies, type SettleHost } from './sqs-settle-calls.ts';

/** How many characters of a foreign body a log line shows. */
const PREVIEW_CHARS = 60;

/** What {@link setAside} needs from the driver. @internal */
export interface SetAsideHost extends SettleHost {
  readonly queues: SqsQueues;
}

/**
 * Stores a copy of a message another program wrote that is not an actorq
 * message (see `decodeReceived`): in the queue's dead-letter queue when
 * that is declared on this driver, else in its parked queue
 * (`<name>_parked`, made on first use and counted by `info().parked`).
 * The caller deletes the original only after this resolved, so the
 * message is never lost; and it is never handed to a handler, so it never
 * loops through one.
 *
 * The copy is an actorq message a dead-letter consumer can read: its body
 * is the original body text as a JSON string, its ID the original's (the
 * SQS MessageId unless it carried `actorq.id`), its attributes the
 * original's (read as headers) plus `x_original_queue`,
 * `x_dead_letter_reason` ("undecodable: ...") and `x_dead_letter_time`.
 * Logged at error level naming the queue, the message ID and the reason;
 * rejects (after logging) when the copy could not be stored.
 */
export async function setAside(host: SetAsideHost, queue: SqsQueue, message: UndecodableMessage): Promise<void> {
  const raw = message.raw.Body ?? '';
  const fields = {
    driver: host.driverId,
    queue: queue.declaration.id,
    message_id: message.id,
    reason: message.reason,
    preview: JSON.stringify(raw.slice(0, PREVIEW_CHARS)),
  };
  const dl = queue.declaration.deadLetterName;
  const dlq = dl !== undefined ? host.queues.get(dl) : undefined;
  const headers: Headers = {
    ...message.headers,
    x_original_queue: queue.declaration.id,
    x_dead_letter_reason: `undecodable: ${message.reason}`,
    x_dead_letter_time: Math.floor(Date.now() / 1000),
  };
  try {
    let target: { name: string; url: string; fifo: boolean };
    if (dlq) target = dlq;
    else {
      const name = parkedQueueName(queue.name);
      const url = await host.settle((send: SqsSend) => host.queues.parkedUrl(send, queue.name));
      target = { name, url, fifo: queue.fifo };
    }
    const entry = encodeCopy(message.id, storableJson(JSON.stringify(raw)), headers, { ...target, overflow: 'pack' }, 0, {
      dedupId: `aside-${message.raw.MessageId ?? message.id}`,
    });
    await sendCopies(host, target.url, target.name, [entry]);
    const where = dlq ? 'moved to the dead-letter queue' : `parked (the queue has no dead-letter queue on this driver)`;
    host.logger.error(`sqs: undecodable message on ${queue.declaration.id} ${where}`, { ...fields, to: target.name });
  } catch (e) {
    host.logger.error(`sqs: undecodable message on ${queue.declaration.id} could not be set aside; it comes back after the visibility timeout`, {
      ...fields,
      error: e instanceof Error ? e.message : String(e),
    });
    throw e;
  }
}
