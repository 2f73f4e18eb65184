import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsSession } from './nats-connection.ts';
import { streamInfo } from './nats-declarations.ts';
import { parkedStreamName, parkedSubject, type QueuePlace } from './nats-names.ts';
import type { AsideTarget } from './nats-set-aside.ts';

/**
 * The parked streams: where a queue without a dead-letter queue on this
 * driver keeps the undecodable messages another program put on its
 * subject. One per queue stream (`<stream>_PARKED`, subject
 * `_actorq.parked.<stream>`, limits retention, file storage), made the
 * first time something is parked, so a server only shows one where
 * something was. Nothing consumes it: it is for people (`nats stream view`)
 * and counted by `info().parked`. @internal
 */
export class NatsParking {
  /** Parked streams known to exist on the current connection. */
  readonly #ready = new Set<string>();
  /** Every parked stream this driver used, by name. */
  readonly #streams = new Map<string, string>();

  /** Whether `name` is one of this driver's parked streams. */
  owns(name: string): boolean {
    return this.#streams.has(name);
  }

  /** A new connection: each parked stream is checked again before its next use. */
  forgetAll(): void {
    this.#ready.clear();
  }

  /** The parked stream of a queue, created if needed. */
  async target(session: NatsSession, place: QueuePlace): Promise<AsideTarget> {
    const name = parkedStreamName(place.stream);
    const subject = parkedSubject(place.stream);
    this.#streams.set(name, subject);
    if (!this.#ready.has(name)) await this.restore(session, name);
    return { name, subject, deadLetter: false };
  }

  /** Creates a parked stream if the server does not have it. */
  async restore(session: NatsSession, name: string): Promise<void> {
    const subject = this.#streams.get(name)!;
    if (!(await streamInfo(session, name))) {
      await session.jsm.streams.add({
        name,
        subjects: [subject],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
      });
    }
    this.#ready.add(name);
  }

  /** Messages parked for a queue (0 when nothing ever was). */
  async count(session: NatsSession, place: QueuePlace): Promise<number> {
    const info = await streamInfo(session, parkedStreamName(place.stream));
    return info?.state.messages ?? 0;
  }
}
