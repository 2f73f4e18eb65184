import type { Channel, GetMessage } from 'amqplib';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { DriverUnavailableError } from '../../errors/lifecycle-errors.ts';
import { ActorqError } from '../../errors/actorq-error.ts';
import { previewOf, type QueueAdmin, type RemoveEachResult, type StoredEntry, type VisitOutcome } from '../queue-admin.ts';
import { decodeDelivery } from './message-decoder.ts';
import { isNotFound } from './amqp-errors.ts';
import type { AmqpSession } from './amqp-session.ts';

/** What the admin tools need from the AMQP driver. @internal */
export interface AmqpAdminHost {
  driverId(): string;
  /** Throws `NotFoundError` unless the queue was declared on this driver. */
  assertDeclared(queueName: string): void;
  /** The live session, waiting for a reconnect up to `publish_timeout`. */
  session(): Promise<AmqpSession>;
  /** An error's text with secrets (the URL's password) removed. */
  scrub(error: unknown): string;
}

/**
 * Operator tools of the AMQP driver, each on a channel of its own.
 *
 * AMQP 0-9-1 has no way to read a message without taking it, so `peek`
 * is a `take-and-return`: it takes up to `limit` messages with
 * `basic.get` (unacknowledged) and hands them all back with
 * `basic.nack requeue` before closing its channel. RabbitMQ puts requeued
 * messages back in their place, so the order is kept, but each comes back
 * marked `redelivered`, a quorum queue counts the peek as a delivery
 * (against its `delivery-limit`), and for that moment no consumer can get
 * them.
 *
 * `removeEach` takes the messages the same way and holds them while it
 * walks: a removed message is acked after its visit, every other one goes
 * back (requeued, in order) when the walk ends, and if the process dies
 * mid-walk the broker requeues whatever was not acked. Nothing is `gone`:
 * no consumer can take a held message.
 *
 * `purge` is `queue.purge`: ready messages only; unacknowledged ones and
 * those waiting in delay queues stay.
 */
export function amqpAdmin(host: AmqpAdminHost): QueueAdmin {
  /** Runs `use` on a fresh channel; unacked messages go back to the queue when it closes. */
  const withChannel = async <T>(queueName: string, what: string, use: (ch: Channel) => Promise<T>): Promise<T> => {
    host.assertDeclared(queueName);
    const session = await host.session();
    let channel: Channel;
    try {
      channel = await session.createChannel();
    } catch (e) {
      throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${host.driverId()}: ${what} ${queueName}: ${host.scrub(e)}`, { cause: e });
    }
    channel.on('error', () => undefined);
    try {
      return await use(channel);
    } catch (e) {
      if (isNotFound(e)) throw new NotFoundError('queue', queueName, `driver ${host.driverId()}: not on the broker`);
      if (e instanceof ActorqError) throw e;
      throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${host.driverId()}: ${what} ${queueName} failed: ${host.scrub(e)}`, { cause: e });
    } finally {
      // What is still unacked goes back in its place; the close-ok proves every ack sent before was applied.
      try {
        channel.nackAll(true);
      } catch {
        // The channel is already gone: the broker requeued everything itself.
      }
      await channel.close().catch(() => undefined);
    }
  };

  return {
    peekMode: 'take-and-return',
    peekEffect: 'handed straight back in their order, and are now marked redelivered',

    peek(queueName, limit) {
      return withChannel(queueName, 'peek at', async (ch) => {
        const out: StoredEntry[] = [];
        while (out.length < limit) {
          const m = await ch.get(queueName, { noAck: false });
          if (m === false) break;
          out.push(storedEntry(m));
        }
        return out;
      });
    },

    purge(queueName) {
      return withChannel(queueName, 'purge', async (ch) => (await ch.purgeQueue(queueName)).messageCount);
    },

    async removeEach(queueName, maxVisits, visit) {
      // A visit's own failure is rethrown as it is, after the channel gave the held messages back.
      let failed: { error: unknown } | undefined;
      const result = await withChannel(queueName, 'take messages from', async (ch): Promise<RemoveEachResult> => {
        let visited = 0;
        let removed = 0;
        while (visited < maxVisits) {
          const m = await ch.get(queueName, { noAck: false });
          if (m === false) break;
          visited++;
          let outcome: VisitOutcome;
          try {
            outcome = await visit(storedEntry(m));
          } catch (error) {
            failed = { error };
            break;
          }
          if (outcome === 'stop') break;
          if (outcome === 'remove') {
            ch.ack(m);
            removed++;
          }
        }
        return { visited, removed, gone: 0 };
      });
      if (failed) throw failed.error;
      return result;
    },
  };
}

/** A delivery as the operator sees it (decoded as a consumer would). */
function storedEntry(m: GetMessage): StoredEntry {
  const decoded = decodeDelivery(m.content, m.properties);
  if (typeof decoded === 'string') return { kind: 'undecodable', reason: decoded, preview: previewOf(m.content.toString('utf8')) };
  return { kind: 'message', message: decoded };
}
