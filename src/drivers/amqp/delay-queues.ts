import { ConfigError } from '../../errors/config-error.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import type { AmqpSession } from './amqp-session.ts';
import { brokerReason, isChannelClosedError, isPreconditionFailed } from './amqp-errors.ts';
import { delayLevel, delayQueueArguments, delayQueueExpiry, delayQueueName, delayQueueRefreshAfter } from './delay-ladder.ts';

/** Declares of a delay queue tried by one send when connections keep dropping under it. */
const MAX_DECLARE_TRIES = 5;

/** AMQP queue names are short strings: at most 255 bytes. */
const MAX_QUEUE_NAME_BYTES = 255;

/** One delay queue this driver has used. */
interface LevelQueue {
  readonly name: string;
  readonly source: string;
  readonly level: number;
  /** When the last declare of it was sent (its lease runs at least from then); 0: declare before the next use. */
  declaredAt: number;
  /** A declare under way, shared by everyone who needs the queue meanwhile. */
  declaring: Promise<void> | undefined;
}

/** Registry ID of the entry that declared a queue, for errors. */
export type EntryIdOf = (queueName: string) => string;

/**
 * The delay queues (see `delay-ladder.ts`) this driver has used, per
 * source queue: each is declared the first time a delay needs it, declared
 * again before a publish once its lease could run short, and again on each
 * reconnect (a broker that came back without it gets it back before
 * anything is published). The broker deletes one nobody uses (`x-expires`);
 * records old enough for that are dropped on reconnect.
 *
 * @internal One per driver.
 */
export class DelayQueues {
  readonly #entryId: EntryIdOf;
  readonly #now: () => number;
  readonly #levels = new Map<string, LevelQueue>();

  constructor(entryId: EntryIdOf, now: () => number = Date.now) {
    this.#entryId = entryId;
    this.#now = now;
  }

  /**
   * The delay queue of `source` for `delayMs` (> 0), declared on `session`
   * unless a declare recent enough guarantees it exists and outlives
   * whatever is published to it now.
   */
  async target(session: AmqpSession, source: string, delayMs: number): Promise<string> {
    const level = delayLevel(delayMs);
    const name = delayQueueName(source, level);
    let q = this.#levels.get(name);
    if (!q) {
      if (Buffer.byteLength(name) > MAX_QUEUE_NAME_BYTES) {
        throw new ConfigError([
          { entryId: this.#entryId(source), field: 'queue_name', message: `queue name too long for its delay queue "${name}" (${Buffer.byteLength(name)} bytes, AMQP allows ${MAX_QUEUE_NAME_BYTES})` },
        ]);
      }
      q = { name, source, level, declaredAt: 0, declaring: undefined };
      this.#levels.set(name, q);
    }
    if (this.#now() - q.declaredAt >= delayQueueRefreshAfter(level)) await this.#declare(session, q);
    return name;
  }

  /** The queue was found missing (a publish came back unroutable): the next {@link target} declares it first. */
  lost(name: string): void {
    const q = this.#levels.get(name);
    if (q) q.declaredAt = 0;
  }

  /**
   * On a new connection: declares again every delay queue of a queue still
   * declared on the driver whose lease may still run, and forgets the rest
   * (its lease ran out, so the broker may have deleted it, and whatever
   * this driver put in it has left).
   */
  async redeclare(session: AmqpSession, isDeclared: (source: string) => boolean): Promise<void> {
    const now = this.#now();
    for (const q of [...this.#levels.values()]) {
      if (!isDeclared(q.source) || now - q.declaredAt > delayQueueExpiry(q.level)) {
        this.#levels.delete(q.name);
        continue;
      }
      // A declare still under way was sent on the old connection.
      await q.declaring?.catch(() => undefined);
      q.declaring = undefined;
      await this.#declare(session, q);
    }
  }

  /**
   * Sends with `send` to the delay queue of `source` for `delayMs`. A
   * connection lost while declaring it is waited out (`session` waits for
   * the next one, within its deadline). One deleted behind the driver's
   * back (the send fails with `NotFoundError`: unroutable) is declared
   * again and the send tried once more.
   */
  async send(session: () => Promise<AmqpSession>, source: string, delayMs: number, send: (target: string) => Promise<void>): Promise<void> {
    let missing = false;
    for (let tries = 1; ; tries++) {
      const s = await session();
      let target: string;
      try {
        target = await this.target(s, source, delayMs);
      } catch (e) {
        if (tries < MAX_DECLARE_TRIES && (s.lost || isChannelClosedError(e))) continue;
        throw e;
      }
      try {
        return await send(target);
      } catch (e) {
        if (missing || !(e instanceof NotFoundError)) throw e;
        missing = true;
        this.lost(target);
      }
    }
  }

  /**
   * Messages waiting in the delay queues of `source` that this driver has
   * used and that may still exist (one passive declare each); one found
   * missing counts 0 and is forgotten.
   */
  async count(session: AmqpSession, source: string): Promise<number> {
    const now = this.#now();
    const names: string[] = [];
    for (const q of this.#levels.values()) if (q.source === source && now - q.declaredAt <= delayQueueExpiry(q.level)) names.push(q.name);
    if (names.length === 0) return 0;
    const counts = await session.messageCounts(names);
    let sum = 0;
    for (let i = 0; i < names.length; i++) {
      const n = counts[i];
      if (n === undefined) this.#levels.delete(names[i]!);
      else sum += n;
    }
    return sum;
  }

  #declare(session: AmqpSession, q: LevelQueue): Promise<void> {
    if (!q.declaring) {
      // The lease starts when the broker handles the declare, which is after now.
      const sent = this.#now();
      const declaring = session.assertQueue(q.name, delayQueueArguments(q.source, q.level)).then(
        () => {
          q.declaredAt = sent;
          q.declaring = undefined;
        },
        (e: unknown) => {
          q.declaring = undefined;
          if (!isPreconditionFailed(e)) throw e;
          throw new ConfigError([
            {
              entryId: this.#entryId(q.source),
              field: 'queue_name',
              message: `delay queue "${q.name}" exists on the broker with other arguments (${brokerReason(e)}); it belongs to this driver: delete it and it is declared again`,
            },
          ]);
        },
      );
      q.declaring = declaring;
    }
    return q.declaring;
  }
}
