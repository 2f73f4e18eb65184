import { InvalidMessageError, MessageTooLargeError } from '../errors/message-errors.ts';
import { RESERVED_HEADERS, type Headers } from './message.ts';
import { describeNonJson, jsonBound } from './json-body.ts';
import { DEFAULT_HEADERS_BOUND, defaultHeadersBytes, exactJsonBytes, headersBound, headersBytes } from './json-size.ts';

/** Default `max_message_size` of a queue: 1 MiB of JSON (body + headers). */
export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;

/**
 * Checks a body against the body rule (plain JSON data, see `json-body.ts`)
 * and refuses bodies that carry nothing: `undefined`, `null`, `{}` and `[]`
 * (an empty Lua table is either). Returns an upper bound of its JSON size
 * in bytes, for {@link assertSize}.
 *
 * @param index the body's place in a batch, for the error message.
 * @throws InvalidMessageError naming the first offending path, e.g.
 *   `publish to app:tasks: body.items[3].when: Date is not JSON data`.
 */
export function checkBody(body: unknown, queueId: string, index?: number): number {
  if (body === undefined || body === null) {
    throw new InvalidMessageError(`publish to ${queueId}: ${rootName(index)} is required`);
  }
  let bound: number;
  try {
    bound = jsonBound(body);
  } catch (error) {
    // A getter or a proxy trap of the caller's object threw while the walk read it.
    throw new InvalidMessageError(`publish to ${queueId}: ${rootName(index)} could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (bound < 0) {
    throw new InvalidMessageError(`publish to ${queueId}: ${describeNonJson(body, rootName(index)) ?? `${rootName(index)} is not JSON data`}`);
  }
  if (typeof body === 'object') {
    // A for-in that returns on the first key costs far less than Object.keys().length.
    for (const _ in body) return bound;
    throw new InvalidMessageError(`publish to ${queueId}: ${rootName(index)} is an empty ${Array.isArray(body) ? 'array' : 'object'}`);
  }
  return bound;
}

function rootName(index: number | undefined): string {
  return index === undefined ? 'body' : `bodies[${index}]`;
}

/** Upper bound of the JSON size of a message's headers: {@link headersBound} of its own, or of the default pair. */
export function headersBoundOf(headers: Headers | undefined): number {
  return headers === undefined ? DEFAULT_HEADERS_BOUND : headersBound(headers);
}

/**
 * Enforces a queue's `max_message_size` (JSON body + JSON headers, in
 * bytes) on a body that passed {@link checkBody}. `bound` is what that
 * returned and `headerBound` what {@link headersBoundOf} gave; only when
 * they add up past the limit is the message measured exactly, so the usual
 * message is never encoded here.
 *
 * @param timestamp the `timestamp` of default headers (`headers` undefined).
 * @throws MessageTooLargeError when body + headers exceed `limit` bytes.
 */
export function assertSize(
  body: unknown,
  bound: number,
  headers: Headers | undefined,
  headerBound: number,
  timestamp: number,
  limit: number,
  queueId: string,
): void {
  if (bound + headerBound <= limit) return;
  const headerBytes = headers === undefined ? defaultHeadersBytes(timestamp) : headersBytes(headers);
  const bodyBytes = exactJsonBytes(body);
  if (bodyBytes + headerBytes > limit) throw new MessageTooLargeError(queueId, bodyBytes, headerBytes, limit);
}

/**
 * Checks user headers: values must be string, finite number or boolean, and
 * reserved names are refused. Returns a fresh copy the message can own.
 */
export function copyHeaders(headers: Readonly<Record<string, unknown>>, queueId: string): Headers {
  const out: Headers = {};
  for (const key in headers) {
    const value = headers[key];
    if (RESERVED_HEADERS.has(key)) {
      throw new InvalidMessageError(`publish to ${queueId}: header "${key}" is reserved`);
    }
    if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
      out[key] = value;
    } else if (value !== undefined) {
      throw new InvalidMessageError(
        `publish to ${queueId}: header "${key}" must be a string, finite number or boolean, got ${value === null ? 'null' : typeof value}`,
      );
    }
  }
  return out;
}
