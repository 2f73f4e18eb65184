import { randomUUID } from 'node:crypto';
import type { QueueEntry } from '../config/entry-types.ts';
import type { QueueAdmin, StoredEntry, VisitOutcome } from '../drivers/queue-admin.ts';
import { ActorqError } from '../errors/actorq-error.ts';
import { RESERVED_HEADERS, type Headers, type Message } from '../message/message.ts';
import { DELAY_HEADER } from '../message/publish-delay.ts';
import type { OpsSession } from './ops-session.ts';

/**
 * Where the dead letters of a queue named on the command line are, and
 * whose they are: naming a queue with a `dead_letter` block means its
 * dead-letter queue, holding only the letters whose `x_original_queue` is
 * that queue (a dead-letter queue may serve several); naming a queue that
 * others dead-letter into means all of it.
 */
export interface DeadLetterScope {
  /** The dead-letter queue. */
  readonly queue: QueueEntry;
  /** The source queue named, when letters are filtered to it. */
  readonly source?: QueueEntry;
  /** Every queue whose `dead_letter.queue` is this one. */
  readonly sources: readonly QueueEntry[];
}

/** Finds the {@link DeadLetterScope} of `queueId`; an `ActorqError` (`NOT_FOUND`) when it has none. */
export function deadLetterScope(session: OpsSession, queueId: string): DeadLetterScope {
  const named = session.queueEntry(queueId);
  const sourcesOf = (dlq: string) => session.queueEntries.filter((q) => q.dead_letter?.queue === dlq);
  if (named.dead_letter) {
    const queue = session.queueEntry(named.dead_letter.queue);
    return { queue, source: named, sources: sourcesOf(queue.id) };
  }
  const sources = sourcesOf(named.id);
  if (sources.length > 0) return { queue: named, sources };
  throw new ActorqError('NOT_FOUND', `${queueId} has no dead_letter block and no queue dead-letters into it`);
}

/** One dead letter as listed. */
export type ListedLetter = StoredEntry;

/** What {@link listDeadLetters} found. */
export interface DeadLetterList {
  readonly letters: readonly ListedLetter[];
  /** Entries looked at (more than `letters` when filtered to a source queue). */
  readonly visited: number;
}

/**
 * Up to `limit` dead letters of the scope, from the head, without removing
 * any. Reads as the driver's `removeEach` does (AMQP: taken and handed back
 * in order at the end), since a filtered list may need to look past `limit`.
 */
export async function listDeadLetters(session: OpsSession, admin: QueueAdmin, scope: DeadLetterScope, limit: number): Promise<DeadLetterList> {
  const binding = await session.queue(scope.queue.id);
  const letters: ListedLetter[] = [];
  const bound = await visitBound(binding.driver.info(binding.declaration.name), limit);
  const walk = await admin.removeEach(binding.declaration.name, bound, async (entry): Promise<VisitOutcome> => {
    if (letters.length >= limit) return 'stop';
    if (inScope(entry, scope)) letters.push(entry);
    return 'keep';
  });
  return { letters, visited: walk.visited };
}

/** Options of {@link replayDeadLetters}. */
export interface ReplayOptions {
  /** Queue ID every replayed letter goes to; by default each goes back to its `x_original_queue`. */
  readonly to?: string;
  /** Most letters replayed. */
  readonly limit: number;
  /** Ends the walk after the letter being replayed (Ctrl-C): nothing is left half done. */
  readonly signal?: AbortSignal;
}

/** What {@link replayDeadLetters} did. */
export interface ReplayReport {
  /** Letters replayed (copy published and confirmed, then the dead letter removed), by target queue ID. */
  readonly replayed: ReadonlyMap<string, number>;
  /** Letters left in place, by reason. */
  readonly skipped: ReadonlyMap<string, number>;
  /** Letters whose copy was published but that a consumer of the dead-letter queue took meanwhile (so they exist twice). */
  readonly gone: number;
  /** Set when the walk stopped early: the failure that stopped it (the letter it was on stays). */
  readonly error?: unknown;
  /** Whether the signal ended the walk. */
  readonly aborted: boolean;
}

/**
 * Moves dead letters back to work: for each letter in scope, from the head,
 * a copy (same ID, body and headers, with `attempts` and the dead-letter
 * headers removed, so it gets its full `max_attempts` again) is published
 * to its target and confirmed by the backend, and only then is the dead
 * letter removed. The copy carries a deduplication key of its own, so a
 * backend that drops a repeated message ID within a window (JetStream,
 * SQS FIFO) stores it even when its original was published moments ago.
 * Interrupted at any point, a letter is in the dead-letter queue, in its
 * target, or (between the two steps) in both: at least once, never lost.
 *
 * Left in place (counted in `skipped`): entries that are not messages or
 * were set aside as undecodable (they never were messages a handler could
 * take), letters of other source queues (when a source queue was named),
 * letters with no `x_original_queue` naming a configured queue (unless
 * `to` is given), and letters the target refuses (body rule, size).
 */
export async function replayDeadLetters(session: OpsSession, admin: QueueAdmin, scope: DeadLetterScope, options: ReplayOptions): Promise<ReplayReport> {
  const binding = await session.queue(scope.queue.id);
  if (options.to !== undefined) {
    session.queueEntry(options.to);
    if (options.to === scope.queue.id) throw new ActorqError('CONFIG_INVALID', `--to ${options.to}: that is the dead-letter queue itself`);
  }
  const replayed = new Map<string, number>();
  const skipped = new Map<string, number>();
  const skip = (reason: string): VisitOutcome => {
    skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
    return 'keep';
  };
  let count = 0;
  /** Tells this replay's copies apart from an earlier replay's of the same letters. */
  const replayId = randomUUID();
  let error: unknown;
  const bound = await visitBound(binding.driver.info(binding.declaration.name), options.limit);
  let walk;
  try {
    walk = await admin.removeEach(binding.declaration.name, bound, async (entry): Promise<VisitOutcome> => {
      if (count >= options.limit || options.signal?.aborted) return 'stop';
      if (entry.kind !== 'message') return skip('not a message (undecodable entry)');
      if (isSetAside(entry.message)) return skip('set aside as undecodable, never a message');
      if (!inScope(entry, scope)) return skip('dead-lettered from another queue');
      const target = options.to ?? originalQueue(session, entry.message, scope.queue.id);
      if (target === undefined) return skip('no x_original_queue naming a configured queue (use --to)');
      await session.queue(target);
      try {
        // A key of its own: backends that drop repeated IDs (JetStream, SQS FIFO) would
        // otherwise take the copy for its original, published under the same ID
        // minutes ago, and drop it, and the letter would then be removed.
        const dedupeKey = `${entry.message.id}~replay~${replayId}~${count}`;
        await session.publisher.publish(target, entry.message.body, { id: entry.message.id, headers: replayHeaders(entry.message.headers), dedupeKey });
      } catch (e) {
        // Refused before anything was stored: this letter cannot go there; the others still can.
        if (e instanceof ActorqError && (e.code === 'INVALID_MESSAGE' || e.code === 'MESSAGE_TOO_LARGE')) return skip(`refused by ${target}: ${e.message}`);
        throw e;
      }
      count++;
      replayed.set(target, (replayed.get(target) ?? 0) + 1);
      return 'remove';
    });
  } catch (e) {
    error = e;
  }
  return { replayed, skipped, gone: walk?.gone ?? 0, aborted: options.signal?.aborted ?? false, ...(error === undefined ? {} : { error }) };
}

/** The headers a replayed copy carries: the letter's, minus the retry count, the dead-letter record and a delay. */
export function replayHeaders(headers: Headers): Headers {
  const out: Headers = {};
  for (const key of Object.keys(headers)) {
    if (RESERVED_HEADERS.has(key) || key === DELAY_HEADER || key === 'x_raw_encoding') continue;
    out[key] = headers[key]!;
  }
  return out;
}

/** Whether a letter belongs to the scope: all of the queue, or only those of the named source. */
function inScope(entry: StoredEntry, scope: DeadLetterScope): boolean {
  if (!scope.source) return true;
  return entry.kind === 'message' && entry.message.headers['x_original_queue'] === scope.source.id;
}

/** A letter's `x_original_queue`, when it names a configured queue other than the dead-letter queue. */
function originalQueue(session: OpsSession, message: Message, dlqId: string): string | undefined {
  const original = message.headers['x_original_queue'];
  if (typeof original !== 'string' || original === dlqId) return undefined;
  const entry = session.registry.entries.get(original);
  return entry && entry.kind === 'queue.queue' ? original : undefined;
}

/** Entries the drivers set aside (bytes another program stored): their reason says so. */
function isSetAside(message: Message): boolean {
  const reason = message.headers['x_dead_letter_reason'];
  return typeof reason === 'string' && (reason.startsWith('malformed entry:') || reason.startsWith('undecodable:'));
}

/** Visits when the queue cannot say how many entries it holds. */
const UNKNOWN_LENGTH_VISITS = 10_000;

/**
 * How many entries a walk may visit: what is ready when it starts, so a
 * queue that keeps receiving still ends (a filtered walk may have to look
 * at all of them to find `limit` in scope).
 */
async function visitBound(info: Promise<{ readonly ready: number }>, limit: number): Promise<number> {
  const ready = (await info.catch(() => undefined))?.ready;
  return ready ?? (Number.isFinite(limit) ? limit : UNKNOWN_LENGTH_VISITS);
}
