import type { MessageProperties } from 'amqplib';
import type { Headers } from '../../message/message.ts';
import { encodeProperties, type EncodedMessage } from './message-codec.ts';
import { plainValue } from './header-table.ts';
import { BROKER_HEADERS } from './message-decoder.ts';
import { delayedCopy } from './delay-routing.ts';

/**
 * The copy a requeue or a dead-letter publishes in place of a delivery:
 * same ID, same bytes, and every property and header of the original,
 * with `headers` (the delivery's headers as the consumer passes them on,
 * `attempts` and the `x_*` dead-letter headers added) in place of those
 * it decoded into. So:
 *
 * - the neutral headers go back into their properties (`correlation-id`,
 *   `reply-to`, `type`, `timestamp`: the original's, not the receive
 *   time), with their types; integers in the table are int64 again;
 * - `app-id`, a property no header carries, is kept;
 *   `user-id` is not (the broker refuses another connection's user);
 * - table entries a handler never saw (nested tables, arrays, decimals)
 *   are kept as they came; broker bookkeeping (`x-death`,
 *   `x-delivery-count`, ...) is not: the copy is a new message, and its
 *   `attempts` already counts what `x-delivery-count` said.
 *
 * A dead-letter copy carries its per-message `expiration` as an
 * `amqp.expiration` header instead of the property, as RabbitMQ's own
 * dead-lettering drops it: a message set aside for someone to look at
 * must not expire on the way.
 *
 * @internal
 */
export function messageCopy(id: string, content: Buffer, original: MessageProperties | undefined, headers: Headers, queueName: string, deadLetter: boolean): EncodedMessage {
  const properties = encodeProperties(id, headers, queueName);
  const p = original ?? ({} as MessageProperties);
  if (typeof p.appId === 'string') properties.appId = p.appId;
  const table = p.headers as unknown;
  if (typeof table === 'object' && table !== null && !Array.isArray(table)) {
    const t = table as Record<string, unknown>;
    const out = properties.headers!;
    for (const key in t) {
      if (key in out || BROKER_HEADERS.has(key) || key === 'x-delay') continue;
      // Plain values are the handler's headers: `headers` decides about them.
      if (plainValue(t[key]) === undefined && t[key] !== undefined) out[key] = t[key];
    }
  }
  const copy: EncodedMessage = { id, content, properties };
  return deadLetter ? delayedCopy(copy) : copy;
}
