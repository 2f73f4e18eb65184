import type { EncodedMessage } from './message-codec.ts';
import { delayLevel } from './delay-ladder.ts';

/**
 * Which messages of a publish wait, and where. A message waits for the
 * larger of the publish's `delayMs` and its own `amqp.x_delay` header
 * (written by the codec as the `x-delay` table entry): each asked for
 * "not before", and the larger honours both.
 *
 * Returns `undefined` when nothing waits (the common case, which then
 * costs one header lookup per message), else the batch's indexes grouped
 * by delay level (0: deliverable at once) in order of first appearance.
 *
 * @internal
 */
export function delayGroups(encoded: readonly EncodedMessage[], delayMs: number): Map<number, number[]> | undefined {
  let groups: Map<number, number[]> | undefined;
  for (let i = 0; i < encoded.length; i++) {
    const own = xDelayOf(encoded[i]!);
    const ms = own > delayMs ? own : delayMs;
    if (ms === 0 && groups === undefined) continue;
    if (groups === undefined) {
      // Everything before this message was immediate.
      groups = new Map();
      if (i > 0) groups.set(0, Array.from({ length: i }, (_, k) => k));
    }
    const level = ms === 0 ? 0 : delayLevel(ms);
    const group = groups.get(level);
    if (group) group.push(i);
    else groups.set(level, [i]);
  }
  return groups;
}

/** The `amqp.x_delay` of an encoded message: the codec wrote it as a typed int32 it had checked (0 to 2^31 - 1). */
function xDelayOf(m: EncodedMessage): number {
  const own = m.properties.headers?.['x-delay'] as { value?: unknown } | undefined;
  return typeof own?.value === 'number' ? own.value : 0;
}

/**
 * The copy of a message that goes to a delay queue. It carries no
 * per-message `expiration`: in the delay queue the shorter of the two TTLs
 * would win and the message would come back early (and RabbitMQ drops the
 * property when it dead-letters the message anyway). The value travels as
 * an `amqp.expiration` header instead (a string, as the property reads
 * back), so the handler still sees it and an immediate requeue restores
 * the property. A dead-letter copy is made the same way (see `message-copy.ts`).
 *
 * @internal
 */
export function delayedCopy(m: EncodedMessage): EncodedMessage {
  const expiration = m.properties.expiration;
  if (expiration === undefined) return m;
  const { expiration: _dropped, ...properties } = m.properties;
  // A string, the shape the property has and a consumer reads back.
  properties.headers = { ...properties.headers, 'amqp.expiration': String(expiration) };
  return { id: m.id, content: m.content, properties };
}
