/**
 * The delay of a publish, from wherever the caller wrote it: the `delay`
 * option, or the neutral `delay` header (what a Lua handler's
 * `queue.publish(id, data, headers)` can pass). Both mean "deliver no
 * sooner than this"; the header is consumed, not stored, so a delay is
 * never carried over into a requeue or a copy.
 *
 * A driver's own steering headers (`amqp.x_delay`) are its business: its
 * codec reads them, as it reads every `amqp.*` header.
 */
import { InvalidMessageError } from '../errors/message-errors.ts';
import { parseDelay } from './delay.ts';

/** The neutral delay header: the same on every driver. */
export const DELAY_HEADER = 'delay';

/** A publish's delay, and its headers without the header that carried it. */
export interface PublishDelay {
  /** Whole ms, 0 to `MAX_DELAY_MS`. */
  readonly delayMs: number;
  /** The caller's headers minus the `delay` header; `undefined` when there were none. */
  readonly headers: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The delay a publish asks for, or `undefined` when it asks for none (the
 * usual case costs a property read or two, no allocation).
 *
 * @param option the `delay` publish option.
 * @param headers the caller's headers, unchecked.
 * @throws InvalidMessageError naming the field for an invalid delay, or when
 *   both the option and the header are given.
 * @example
 * ```ts
 * publishDelay(undefined, { delay: '5s', k: 'v' }, 'app:q') // { delayMs: 5000, headers: { k: 'v' } }
 * ```
 */
export function publishDelay(option: unknown, headers: Readonly<Record<string, unknown>> | undefined, queueId: string): PublishDelay | undefined {
  const header = headers?.[DELAY_HEADER];
  if (option === undefined && header === undefined) return undefined;
  if (option !== undefined && header !== undefined) {
    throw new InvalidMessageError(`publish to ${queueId}: give the delay once, not as option delay and header "${DELAY_HEADER}"`);
  }
  if (option !== undefined) return { delayMs: parseDelay(option, `publish to ${queueId}: option delay`)!, headers };
  const delayMs = parseDelay(header, `publish to ${queueId}: header "${DELAY_HEADER}"`)!;
  const rest: Record<string, unknown> = {};
  for (const key in headers) if (key !== DELAY_HEADER) rest[key] = headers[key];
  return { delayMs, headers: rest };
}
