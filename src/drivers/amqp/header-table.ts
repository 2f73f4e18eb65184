import type { HeaderValue } from '../../message/message.ts';

/**
 * Values of the AMQP header table, with their wire types.
 *
 * amqplib guesses a number's field type from its value: 5 goes out as a
 * signed byte, 300 as a short, 1.5 as a double. Other clients keep the
 * type they read: Wippy's Lua conversion turns only 64-bit integers and
 * doubles into Lua numbers, and any narrower integer into a string. So
 * this driver names the type of every number it writes, the way Wippy's
 * Go driver writes Lua values: integers as `long` (int64), everything
 * else as `double` (float64).
 *
 * @internal
 */

/** amqplib's notation for a field value of a given AMQP type (see amqplib's `codec.js`). */
export interface TypedField {
  readonly '!': string;
  readonly value: unknown;
}

/** The largest magnitude an int64 field can hold, as a double (2^63). */
const INT64_LIMIT = 2 ** 63;

/** A header value as the table carries it: integers as int64, other numbers as float64, strings and booleans as they are. */
export function tableValue(value: HeaderValue): unknown {
  if (typeof value !== 'number') return value;
  return Number.isInteger(value) && value > -INT64_LIMIT && value < INT64_LIMIT ? { '!': 'int64', value } : { '!': 'double', value };
}

/**
 * A value read from a header table as a plain header value: strings,
 * booleans and numbers of every width as they are, an AMQP timestamp as
 * its number of seconds, bytes as UTF-8 text. `undefined` for what has no
 * plain equivalent (nested tables, arrays, decimals, void), which a
 * handler never sees but a copy of the message keeps (see `message-copy.ts`).
 */
export function plainValue(value: unknown): HeaderValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'bigint':
      return Number(value);
    case 'object': {
      if (value === null) return undefined;
      if (Buffer.isBuffer(value)) return value.toString('utf8');
      // amqplib's typed wrapper, e.g. an AMQP timestamp: { '!': 'timestamp', value: 1700000000 }
      const typed = value as { '!'?: unknown; value?: unknown };
      return typed['!'] === 'timestamp' && typeof typed.value === 'number' ? typed.value : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * A header table read by amqplib (numbers untyped), made ready to be
 * written again: top-level numbers get the int64 / float64 types of
 * {@link tableValue}, everything else stays as amqplib gave it (it writes
 * back what it reads). Used for copies of messages other programs wrote.
 */
export function retypedTable(table: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof table !== 'object' || table === null || Array.isArray(table)) return out;
  const t = table as Record<string, unknown>;
  for (const key in t) {
    const value = t[key];
    out[key] = typeof value === 'number' && Number.isFinite(value) ? tableValue(value) : value;
  }
  return out;
}
