import { createHash } from 'node:crypto';
import type { QueueDeclaration } from '../driver.ts';
import { ConfigError } from '../../errors/config-error.ts';
import type { NatsQueueOptions } from './nats-options.ts';

/**
 * Where a queue lives in JetStream. Every name the driver uses on the
 * server is made here, so a test or an operator can find them.
 */
export interface QueuePlace {
  /** Registry ID of the queue entry (for `x_original_queue` and errors). */
  readonly queueId: string;
  /** Backend name (`queue_name`). */
  readonly queueName: string;
  readonly stream: string;
  readonly subject: string;
  /** The durable pull consumer every actorq consumer of the queue shares. */
  readonly durable: string;
  /** Pull requests go here. */
  readonly nextSubject: string;
}

/** Name of the durable consumer on every queue's stream. */
export const DURABLE_NAME = 'actorq';

/** Longest stream name written (JetStream stores one directory per stream). */
const MAX_STREAM_NAME = 200;

/**
 * The stream name for a queue without `stream`: the queue name, with every
 * character outside `A-Z a-z 0-9 _ -` turned into `_`, and, when anything
 * was turned, 8 hex digits of the name's SHA-1 appended, so that `a.b` and
 * `a_b` still get different streams.
 *
 * @example
 * ```ts
 * defaultStreamName('tasks')      // 'tasks'
 * defaultStreamName('app.tasks')  // 'app_tasks_6d4a0b1c' (hash shown made up)
 * ```
 */
export function defaultStreamName(queueName: string): string {
  const plain = queueName.replace(/[^A-Za-z0-9_-]/g, '_');
  if (plain === queueName && plain.length > 0 && plain.length <= MAX_STREAM_NAME) return plain;
  const hash = createHash('sha1').update(queueName).digest('hex').slice(0, 8);
  return `${plain.slice(0, MAX_STREAM_NAME - 9)}_${hash}`;
}

/** Why `name` cannot be a stream name, or `undefined` when it can. */
export function streamNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_STREAM_NAME) return `must be at most ${MAX_STREAM_NAME} characters`;
  const bad = /[\s.*>/\\\x00-\x1f\x7f]/.exec(name);
  if (bad) return `must not contain ${JSON.stringify(bad[0])} (no whitespace, ".", "*", ">", "/" or "\\")`;
  return undefined;
}

/**
 * Why `subject` cannot be a queue's subject, or `undefined` when it can: a
 * queue is one concrete subject (no wildcards), outside the server's `$`
 * subjects and the `_INBOX.` and `_actorq.` ones.
 */
export function subjectProblem(subject: string): string | undefined {
  if (subject.length === 0) return 'must not be empty';
  const bad = /[\s\x00-\x1f\x7f]/.exec(subject);
  if (bad) return `must not contain whitespace or control characters (found ${JSON.stringify(bad[0])})`;
  const tokens = subject.split('.');
  if (tokens.some((t) => t.length === 0)) return 'must not start or end with "." or contain ".."';
  if (tokens.some((t) => t === '*' || t === '>' || t.includes('*') || t.includes('>'))) return 'must not contain the wildcards "*" or ">"';
  if (subject.startsWith('$')) return 'must not start with "$" (reserved for the server)';
  if (/^(_INBOX|_actorq)\./i.test(subject)) return 'must not start with "_INBOX." or "_actorq." (used by clients and this driver)';
  return undefined;
}

/**
 * The stream, subject and consumer of a declared queue. Throws
 * {@link ConfigError} naming the field when a name cannot be used.
 */
export function placeOf(queue: QueueDeclaration): QueuePlace {
  const o = queue.options as Partial<NatsQueueOptions>;
  const stream = o.stream ?? defaultStreamName(queue.name);
  const streamIssue = streamNameProblem(stream);
  if (streamIssue) throw new ConfigError([{ entryId: queue.id, field: 'driver_options.nats.stream', message: `stream name ${JSON.stringify(stream)} ${streamIssue}` }]);
  const subject = o.subject ?? queue.name;
  const subjectIssue = subjectProblem(subject);
  if (subjectIssue) {
    const field = o.subject === undefined ? 'queue_name' : 'driver_options.nats.subject';
    const hint = o.subject === undefined ? '; set driver_options.nats.subject to a valid subject' : '';
    throw new ConfigError([{ entryId: queue.id, field, message: `${JSON.stringify(subject)} is not a usable NATS subject: it ${subjectIssue}${hint}` }]);
  }
  return {
    queueId: queue.id,
    queueName: queue.name,
    stream,
    subject,
    durable: DURABLE_NAME,
    nextSubject: `$JS.API.CONSUMER.MSG.NEXT.${stream}.${DURABLE_NAME}`,
  };
}

/** The stream that holds a queue's undecodable messages when it has no dead-letter queue on this driver. */
export function parkedStreamName(stream: string): string {
  return `${stream.slice(0, MAX_STREAM_NAME - 7)}_PARKED`;
}

/** The subject of {@link parkedStreamName}'s stream. */
export function parkedSubject(stream: string): string {
  return `_actorq.parked.${stream}`;
}

/** Where the consumers of a stream answer "who is attached" (see `nats-presence.ts`). */
export function presenceSubject(stream: string): string {
  return `_actorq.consumers.${stream}`;
}
