import { JetStreamApiError } from '@nats-io/jetstream';
import type { QueueInfo } from '../driver.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import type { NatsSession } from './nats-connection.ts';
import { streamInfo, type DeclaredQueue } from './nats-declarations.ts';
import type { NatsParking } from './nats-parking.ts';
import { countConsumers } from './nats-presence.ts';

/**
 * A queue's figures, from the server: `message_count` is what the stream
 * holds (every message not yet acked, delayed ones included), `in_flight`
 * what the consumer delivered and nobody settled (a delayed message that a
 * consumer handed back until its due time counts here), `ready` the rest, `consumer_count` the consumers attached in every
 * process, and `parked` the undecodable messages kept aside when the queue
 * has no dead-letter queue on this driver. A stream or consumer the server
 * lost is created again once (`restore`). @internal
 */
export async function queueInfo(session: NatsSession, q: DeclaredQueue, parking: NatsParking, restore: () => Promise<void>): Promise<QueueInfo> {
  const { stream, durable, queueName } = q.place;
  let si = await streamInfo(session, stream);
  let ci = si ? await consumerInfo(session, stream, durable) : undefined;
  if (!si || !ci) {
    await restore();
    si = await streamInfo(session, stream);
    ci = si ? await consumerInfo(session, stream, durable) : undefined;
    if (!si || !ci) throw new NotFoundError('queue', queueName, `nats stream ${stream}: not on the server`);
  }
  const [consumers, parked] = await Promise.all([
    countConsumers(session, stream),
    q.declaration.deadLetterName === undefined ? parking.count(session, q.place) : Promise.resolve(undefined),
  ]);
  // The stream's count is the truth; the consumer's counters can briefly
  // count one message both as pending and as delivered (a redelivery).
  const inFlight = Math.min(ci.num_ack_pending, si.state.messages);
  const info: QueueInfo = {
    message_count: si.state.messages,
    ready: si.state.messages - inFlight,
    in_flight: inFlight,
    consumer_count: consumers,
    redelivered: ci.num_redelivered,
    stream,
  };
  return parked === undefined ? info : { ...info, parked };
}

async function consumerInfo(session: NatsSession, stream: string, durable: string) {
  try {
    return await session.jsm.consumers.info(stream, durable);
  } catch (e) {
    if (e instanceof JetStreamApiError && e.status === 404) return undefined;
    throw e;
  }
}
