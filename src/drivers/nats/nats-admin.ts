import { JetStreamApiError, type StoredMsg } from '@nats-io/jetstream';
import type { Msg } from '@nats-io/transport-node';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { DriverUnavailableError } from '../../errors/lifecycle-errors.ts';
import { ActorqError } from '../../errors/actorq-error.ts';
import { previewOf, type QueueAdmin, type StoredEntry, type VisitOutcome } from '../queue-admin.ts';
import type { NatsSession } from './nats-connection.ts';
import type { QueuePlace } from './nats-names.ts';
import { decodeMessage } from './nats-decoder.ts';

/** What the admin tools need from the NATS driver. @internal */
export interface NatsAdminHost {
  readonly driverId: string;
  /** Where a declared queue lives; throws `NotFoundError` for a queue not declared on the driver. */
  place(queueName: string): QueuePlace;
  /** The live session, waiting out a reconnect up to `publish_timeout`. */
  session(): Promise<NatsSession>;
  /** Creates a declared queue's stream and consumer again (the server lost them). */
  restore(queueName: string): Promise<void>;
  /** An error's text with the configuration's secrets masked. */
  scrub(error: unknown): string;
}

/** Sequences a purge reads at once before it deletes the ready ones among them (one consumer check per page). */
const PURGE_PAGE = 100;

/** JetStream's "no message found" (a get past the end) and "sequence not found" (a delete of a message already gone). */
const NO_MESSAGE = 10037;
const SEQUENCE_NOT_FOUND = 10043;

const utf8 = new TextDecoder();

/**
 * Operator tools of the NATS driver. They read the queue's stream by
 * sequence (`STREAM.MSG.GET`) and delete single messages by sequence
 * (`STREAM.MSG.DELETE`): neither goes through the queue's consumer, so
 * they change nothing about deliveries, acks or redelivery counts.
 *
 * Which messages are ready: those the `actorq` consumer has not delivered
 * yet, i.e. stored after its last delivered stream sequence, and not
 * delayed (an `Actorq-Not-Before` still in the future). Everything at or
 * below that sequence that is still stored was delivered and not yet
 * acked: held by a consumer, a delayed message a consumer handed back
 * until it is due, or one JetStream will deliver again (its consumer died
 * or gave it back): none of these is read, purged or taken.
 *
 * - `peek` is a `browse`: reads the first `limit` ready messages.
 * - `purge` deletes the ready messages one by one (a stream purge by
 *   subject would take the delivered ones too), reading a page of
 *   sequences at once and checking the consumer's last delivered sequence
 *   again before deleting it. It ends at the stream's last sequence when it
 *   began, so a steady publisher does not keep it going.
 * - `removeEach` visits ready messages in order and deletes one only after
 *   its visit resolved `remove`, and only if the consumer has not delivered
 *   it meanwhile (checked just before the delete); one delivered or gone
 *   meanwhile counts as `gone` and stays with whoever has it.
 *
 * JetStream has no conditional delete: a message a consumer takes in the
 * one round trip between that check and the delete is deleted while its
 * handler runs. It is still handled (or retried as a copy), but no longer
 * delivered again if that process dies; a removal counts it as removed
 * (after a replay its copy exists as well: twice, never lost).
 *
 * Messages other programs stored are shown as `undecodable` with the
 * decoder's reason; consumers would set them aside.
 */
export function natsAdmin(host: NatsAdminHost): QueueAdmin {
  /** Runs `use` with the queue's place and session; client errors become DRIVER_UNAVAILABLE naming what and where. */
  const withQueue = async <T>(queueName: string, what: string, use: (reader: QueueReader) => Promise<T>): Promise<T> => {
    const place = host.place(queueName);
    const session = await host.session();
    try {
      return await use(new QueueReader(session, place, () => host.restore(queueName)));
    } catch (e) {
      if (e instanceof ActorqError) throw e;
      throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${host.driverId}: ${what} ${queueName} (stream ${place.stream}) failed: ${host.scrub(e)}`, { cause: e });
    }
  };

  return {
    peekMode: 'browse',

    peek(queueName, limit) {
      return withQueue(queueName, 'peek at', async (reader) => {
        const out: StoredEntry[] = [];
        if (limit <= 0) return out;
        let from = (await reader.deliveredUpTo()) + 1;
        while (out.length < limit) {
          const next = await reader.nextReady(from);
          if (!next) break;
          out.push(next.entry);
          from = next.seq + 1;
        }
        return out;
      });
    },

    purge(queueName) {
      return withQueue(queueName, 'purge', async (reader) => {
        let purged = 0;
        // What is stored after the purge began is not its business (nor does a steady publisher keep it going).
        const last = await reader.lastSequence();
        let from = (await reader.deliveredUpTo()) + 1;
        while (from <= last) {
          const page = await reader.readyPage(from, last);
          if (!page) break;
          // What a consumer took while the page was read is in flight now: it stays.
          const delivered = await reader.deliveredUpTo();
          const deleted = await Promise.all(page.ready.filter((seq) => seq > delivered).map((seq) => reader.delete(seq)));
          purged += deleted.filter(Boolean).length;
          from = Math.max(page.next, delivered + 1);
        }
        return purged;
      });
    },

    async removeEach(queueName, maxVisits, visit) {
      // A visit's own failure is rethrown as it is, not as a driver error.
      let failed: { error: unknown } | undefined;
      const result = await withQueue(queueName, 'take messages from', async (reader) => {
        let visited = 0;
        let removed = 0;
        let gone = 0;
        let from = 1;
        while (visited < maxVisits) {
          // Messages a consumer took since the last visit are in flight: not visited.
          from = Math.max(from, (await reader.deliveredUpTo()) + 1);
          const next = await reader.nextReady(from);
          if (!next) break;
          from = next.seq + 1;
          visited++;
          let outcome: VisitOutcome;
          try {
            outcome = await visit(next.entry);
          } catch (error) {
            failed = { error };
            break;
          }
          if (outcome === 'stop') break;
          if (outcome === 'keep') continue;
          if ((await reader.deliveredUpTo()) < next.seq && (await reader.delete(next.seq))) removed++;
          else gone++;
        }
        return { visited, removed, gone };
      });
      if (failed) throw failed.error;
      return result;
    },
  };
}

/** One ready message: its stream sequence and how an operator sees it. */
interface ReadyMessage {
  readonly seq: number;
  readonly entry: StoredEntry;
}

/** Reads one queue's stream and consumer for the admin tools, on one session. */
class QueueReader {
  readonly #session: NatsSession;
  readonly #place: QueuePlace;
  readonly #restore: () => Promise<void>;
  #restored = false;

  constructor(session: NatsSession, place: QueuePlace, restore: () => Promise<void>) {
    this.#session = session;
    this.#place = place;
    this.#restore = restore;
  }

  /**
   * The last stream sequence the queue's consumer delivered: everything
   * stored at or below it is in flight (or waiting to be delivered again).
   * A stream or consumer the server lost is created again once.
   */
  async deliveredUpTo(): Promise<number> {
    const { stream, durable, queueName } = this.#place;
    for (;;) {
      try {
        return (await this.#session.jsm.consumers.info(stream, durable)).delivered.stream_seq;
      } catch (e) {
        if (!(e instanceof JetStreamApiError) || e.status !== 404) throw e;
        if (this.#restored) throw new NotFoundError('queue', queueName, `nats stream ${stream}: not on the server`);
        this.#restored = true;
        await this.#restore();
      }
    }
  }

  /** The first ready message stored at `from` or after: delayed ones (not yet due) are skipped. */
  async nextReady(from: number): Promise<ReadyMessage | undefined> {
    for (let seq = from; ; ) {
      const stored = await this.#get(seq);
      if (!stored) return undefined;
      const entry = storedEntry(stored, this.#place.stream);
      if (entry) return { seq: stored.seq, entry };
      seq = stored.seq + 1;
    }
  }

  /** The stream's last sequence (0 when nothing was ever stored). */
  async lastSequence(): Promise<number> {
    return (await this.#session.jsm.streams.info(this.#place.stream)).state.last_seq;
  }

  /**
   * The ready messages among the next {@link PURGE_PAGE} sequences from the
   * first message stored at `from` or after (up to `last`), read at once;
   * `undefined` when nothing is stored there. `next` is where the next
   * page starts.
   */
  async readyPage(from: number, last: number): Promise<{ ready: number[]; next: number } | undefined> {
    // The first read jumps over a gap (deleted or acked sequences); the rest go in parallel.
    const first = await this.#get(from);
    if (!first || first.seq > last) return undefined;
    const end = Math.min(first.seq + PURGE_PAGE - 1, last);
    const rest = [];
    for (let seq = first.seq + 1; seq <= end; seq++) rest.push(this.#exact(seq));
    const ready: number[] = [];
    for (const stored of [first, ...(await Promise.all(rest))]) {
      if (stored && storedEntry(stored, this.#place.stream)) ready.push(stored.seq);
    }
    return { ready, next: end + 1 };
  }

  /** Deletes one stored message; `false` when it was already gone (acked, deleted, expired). */
  async delete(seq: number): Promise<boolean> {
    try {
      return await this.#session.jsm.streams.deleteMessage(this.#place.stream, seq, false);
    } catch (e) {
      if (e instanceof JetStreamApiError && (e.code === SEQUENCE_NOT_FOUND || e.code === NO_MESSAGE)) return false;
      throw e;
    }
  }

  /** The first message of the queue's subject stored at `seq` or after, or `undefined` past the end. */
  async #get(seq: number): Promise<StoredMsg | undefined> {
    const { stream, subject } = this.#place;
    // `next_by_subj` (nats-server 2.9+) skips deleted sequences; the client's type only knows `seq`.
    const query = { seq, next_by_subj: subject } as unknown as { seq: number };
    return (await this.#session.jsm.streams.getMessage(stream, query)) ?? undefined;
  }

  /** The message stored at exactly `seq`, or `undefined` (deleted, acked, never stored). */
  async #exact(seq: number): Promise<StoredMsg | undefined> {
    return (await this.#session.jsm.streams.getMessage(this.#place.stream, { seq })) ?? undefined;
  }
}

/**
 * A stored message as an operator sees it, decoded exactly as a consumer
 * would decode it (the same ID, `<stream>:<sequence>` when it carries
 * none), or `undefined` for a delayed message not yet due.
 */
function storedEntry(stored: StoredMsg, stream: string): StoredEntry | undefined {
  // The decoder reads headers, body and the ack subject (for the fallback ID); this one names the stored message.
  const asDelivered = { subject: stored.subject, data: stored.data, headers: stored.header, reply: `$JS.ACK.${stream}.admin.1.${stored.seq}.0.0.0` } as unknown as Msg;
  const decoded = decodeMessage(asDelivered);
  if (typeof decoded === 'string') return { kind: 'undecodable', reason: decoded, preview: previewOf(utf8.decode(stored.data)) };
  if (decoded.due > Date.now()) return undefined;
  return { kind: 'message', message: { id: decoded.id, body: decoded.body, headers: decoded.headers } };
}
