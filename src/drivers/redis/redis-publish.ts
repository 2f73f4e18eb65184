import type { Message } from '../../message/message.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { InvalidMessageError } from '../../errors/message-errors.ts';
import { AbortedError, DriverUnavailableError, PublishRejectedError } from '../../errors/lifecycle-errors.ts';
import { encodeMessage } from './redis-codec.ts';
import type { RedisDriver } from './redis-driver.ts';

/** Messages per publish script call: big enough to amortise the round trip, small enough not to stall Redis. */
const CHUNK = 2000;

/** While waiting for room, re-try at least this often in case a wake-up was missed. */
const ROOM_RECHECK_MS = 100;

/**
 * Publishes `messages` to the tail of a queue, in order, in chunks of one
 * script call each. A chunk the queue has no room for (`max_length`) is
 * partly accepted; the rest waits for a `room` notification (published by
 * a fetch from a full queue) or fails with PUBLISH_REJECTED when the queue
 * says `on_full: fail`. @internal
 *
 * A queue this process declared that the server no longer has (it came
 * back empty without the connection dropping) is declared again, once per
 * publish, rather than reported as not found.
 *
 * With `delayMs` the messages go to the queue's delayed set instead, due
 * that long after the script stores them (see `redis-lua-delay.ts`).
 *
 * A chunk whose reply is lost with the connection is reported as
 * DRIVER_UNAVAILABLE naming the first message in doubt, rather than sent
 * again: a blind retry could store it twice.
 */
export async function publishToRedis(driver: RedisDriver, queue: string, messages: readonly Message[], signal?: AbortSignal, delayMs?: number): Promise<void> {
  const delay = checkedDelay(delayMs, `publish to ${queue}`);
  const k = driver.keysOf(queue);
  const payloads = new Array<string>(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    payloads[i] = encodeMessage(m.id, m.headers, m.body);
  }
  let next = 0;
  let restored = false;
  while (next < payloads.length) {
    if (signal?.aborted) throw aborted(queue, next, messages.length, signal);
    await driver.whenUsable();
    const chunk = next === 0 && payloads.length <= CHUNK ? payloads : payloads.slice(next, next + CHUNK);
    let accepted: number;
    let failMode: number;
    try {
      [accepted, failMode] = await driver.connection.cmd.aqPublish(k.meta, k.ready, k.delayed, k.notify, delay, ...chunk);
    } catch (e) {
      if (driver.isFatal(e)) throw e;
      throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `publish to ${queue} interrupted: ${next} of ${messages.length} messages accepted, message ${messages[next]!.id} may or may not have been`, { cause: e });
    }
    if (accepted === -1) {
      // Declared here but gone from the server (lost while connected): declare it again, once.
      if (!restored && (await driver.restoreQueue(queue))) {
        restored = true;
        continue;
      }
      throw new NotFoundError('queue', queue, `driver ${driver.id}`);
    }
    next += accepted;
    if (accepted < chunk.length) {
      if (failMode === 1) {
        const refused = messages.slice(next).map((m) => m.id);
        throw new PublishRejectedError(`queue ${queue} is full (max_length): ${refused.length} message(s) refused, first ${refused[0]}; ${next} accepted`);
      }
      await waitForRoom(driver, k.room, signal);
    }
  }
}

/** Longest delay accepted (~1,100 years): due times stay exact integers in a ZSET score. */
const MAX_DELAY_MS = 2 ** 45;

/**
 * A delay as whole ms (rounded up, so never early): 0 when absent. Throws
 * INVALID_MESSAGE naming `where` for anything but a finite number from 0
 * to {@link MAX_DELAY_MS}, before anything is stored or moved. @internal
 */
export function checkedDelay(delayMs: number | undefined, where: string): number {
  if (delayMs === undefined) return 0;
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
    throw new InvalidMessageError(`${where}: delay must be a finite number of ms from 0 to ${MAX_DELAY_MS}, got ${String(delayMs)}`);
  }
  return Math.ceil(delayMs);
}

/** Resolves on a room notification, after {@link ROOM_RECHECK_MS}, or when aborted (the loop then throws). */
function waitForRoom(driver: RedisDriver, channel: string, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unlisten();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ROOM_RECHECK_MS);
    const unlisten = driver.connection.listen(channel, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function aborted(queue: string, accepted: number, total: number, signal: AbortSignal): AbortedError {
  return new AbortedError(`publish to ${queue} aborted after ${accepted} of ${total} messages were accepted`, { cause: signal.reason });
}
