import { randomUUID } from 'node:crypto';
import type { Headers } from '../../message/message.ts';
import { encodeMessage, type MalformedEntry } from './redis-codec.ts';
import type { QueueKeys } from './redis-keys.ts';
import type { QueueSettings, RedisDriver } from './redis-driver.ts';

/** Where a consumption found an undecodable entry. @internal */
export interface QuarantineSource {
  /** Backend name of the queue. */
  readonly queue: string;
  readonly keys: QueueKeys;
  /** The consumer's processing hash, where the fetch put the entry. */
  readonly proc: string;
  readonly settings: QueueSettings;
}

/** How many characters of a foreign entry a log line shows. */
const PREVIEW_CHARS = 60;

/**
 * Sets an undecodable entry aside: to the queue's same-driver dead-letter
 * queue when it has one, else onto the queue's parked list (counted by
 * `info().parked`). One script moves it out of the processing hash, so it
 * is never lost and never in two places.
 *
 * It travels as an actorq message, so a dead-letter consumer can read it
 * like any other: a fresh ID, the raw entry as the body (a string, exactly
 * as stored), and `x_original_queue`, `x_dead_letter_reason`,
 * `x_dead_letter_time`. An entry that is not valid UTF-8 cannot be a JSON
 * string without loss, so its bytes go as base64 with
 * `x_raw_encoding: "base64"`.
 *
 * Never rejects: a failure is logged, and the entry stays in the
 * processing hash, from where it returns to the queue when the consumer
 * leaves (and is set aside again by the next fetch). @internal
 */
export async function quarantine(driver: RedisDriver, source: QuarantineSource, entry: MalformedEntry): Promise<void> {
  const { keys, settings } = source;
  const dlq = settings.deadLetterName;
  const target = dlq !== undefined ? driver.keysOf(dlq) : keys;
  const fields = { driver: driver.id, queue: source.queue, reason: entry.reason, preview: JSON.stringify(entry.raw.slice(0, PREVIEW_CHARS)) };
  try {
    const body = await rawBody(driver, source.proc, entry);
    if (body === undefined) return; // no longer held: a reaper or a leave took it back
    const headers: Headers = {
      x_original_queue: settings.queueId,
      x_dead_letter_reason: entry.reason,
      x_dead_letter_time: Math.floor(Date.now() / 1000),
    };
    if (body.base64) headers['x_raw_encoding'] = 'base64';
    const payload = encodeMessage(randomUUID(), headers, body.text);
    const outcome = await driver.settle((c) =>
      c.aqQuarantine(source.proc, target.meta, target.ready, keys.parked, entry.token, payload, target.notify, dlq !== undefined ? 1 : 0),
    );
    if (outcome === 1) {
      driver.logger.warn('undecodable redis entry moved to the dead-letter queue', { ...fields, dead_letter_queue: dlq });
    } else if (outcome === 2) {
      const why = dlq !== undefined ? `dead-letter queue ${dlq} is not declared on redis` : 'queue has no dead-letter queue on this driver';
      driver.logger.error(`undecodable redis entry parked (${why})`, { ...fields, parked_key: keys.parked });
    }
  } catch (e) {
    driver.logger.error('could not set aside an undecodable redis entry; it returns to the queue when this consumer leaves', {
      ...fields,
      error: e instanceof Error ? e.message : String(e),
    });
  }
}

/**
 * The entry as a JSON-safe string. ioredis decodes replies as UTF-8, which
 * replaces invalid bytes with U+FFFD; only then are the stored bytes read
 * again to tell a real U+FFFD from a lossy decode.
 */
async function rawBody(driver: RedisDriver, proc: string, entry: MalformedEntry): Promise<{ text: string; base64: boolean } | undefined> {
  if (!entry.raw.includes('\uFFFD')) return { text: entry.raw, base64: false };
  const bytes = await driver.settle((c) => c.hgetBuffer(proc, String(entry.token)));
  if (bytes === null) return undefined;
  if (bytes.equals(Buffer.from(entry.raw, 'utf8'))) return { text: entry.raw, base64: false };
  return { text: bytes.toString('base64'), base64: true };
}
