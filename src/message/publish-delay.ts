/**
 * The delay of a publish, from wherever the caller wrote it: the `delay`
 * option, the neutral `delay` header (what a Lua handler's
 * `queue.publish(id, data, headers)` can pass), or the steering header of
 * the queue's driver (`amqp.x_delay` on AMQP, `sqs.delay_seconds` on SQS).
 * All mean "deliver no sooner than this"; the header is consumed, not
 * stored, so a delay is never carried over into a requeue or a copy.
 */
import { InvalidMessageError } from '../errors/message-errors.ts';
import { parseDelay } from './delay.ts';

/** The neutral delay header: the same on every driver. */
export const DELAY_HEADER = 'delay';

/** SQS's own bound for `DelaySeconds`. */
const SQS_MAX_DELAY_SECONDS = 900;

/** A driver's own delay header, by the driver kind's options key, and how to read it in ms. */
const DRIVER_DELAY_HEADERS: Readonly<Record<string, { readonly name: string; toMs(value: unknown, where: string): number }>> = {
  amqp: { name: 'amqp.x_delay', toMs: (value, where) => parseDelay(value, where)! },
  sqs: {
    name: 'sqs.delay_seconds',
    toMs(value, where) {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > SQS_MAX_DELAY_SECONDS) {
        throw new InvalidMessageError(`${where} must be whole seconds from 0 to ${SQS_MAX_DELAY_SECONDS}, got ${JSON.stringify(value) ?? String(value)}`);
      }
      return n * 1000;
    },
  },
};

/** A publish's delay, and its headers without the header that carried it. */
export interface PublishDelay {
  /** Whole ms, 0 to `MAX_DELAY_MS`. */
  readonly delayMs: number;
  /** The caller's headers minus the delay header; `undefined` when there were none. */
  readonly headers: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The delay a publish asks for, or `undefined` when it asks for none (the
 * usual case costs a property read or three, no allocation).
 *
 * @param option the `delay` publish option.
 * @param headers the caller's headers, unchecked.
 * @param driverKey the options key of the queue's driver kind (`memory`, `amqp`, ...).
 * @throws InvalidMessageError naming the field for an invalid delay, or when
 *   more than one of them is given.
 */
export function publishDelay(option: unknown, headers: Readonly<Record<string, unknown>> | undefined, driverKey: string, queueId: string): PublishDelay | undefined {
  const own = DRIVER_DELAY_HEADERS[driverKey];
  const neutral = headers?.[DELAY_HEADER];
  const driver = own === undefined ? undefined : headers?.[own.name];
  if (option === undefined && neutral === undefined && driver === undefined) return undefined;
  const given = [option === undefined ? '' : 'option delay', neutral === undefined ? '' : `header "${DELAY_HEADER}"`, driver === undefined ? '' : `header "${own!.name}"`].filter(Boolean);
  if (given.length > 1) throw new InvalidMessageError(`publish to ${queueId}: give the delay once, not as ${given.join(' and ')}`);
  const where = `publish to ${queueId}: ${given[0]}`;
  const delayMs = option !== undefined ? parseDelay(option, where)! : neutral !== undefined ? parseDelay(neutral, where)! : own!.toMs(driver, where);
  if (option !== undefined) return { delayMs, headers };
  const rest: Record<string, unknown> = {};
  const skip = neutral !== undefined ? DELAY_HEADER : own!.name;
  for (const key in headers) if (key !== skip) rest[key] = headers[key];
  return { delayMs, headers: rest };
}
