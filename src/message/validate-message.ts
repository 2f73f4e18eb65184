import { InvalidMessageError } from '../errors/message-errors.ts';
import { RESERVED_HEADERS, type Headers } from './message.ts';

/**
 * Rejects bodies that carry nothing: `undefined`, `null`, `{}` and `[]`
 * (an empty Lua table is either). Throws {@link InvalidMessageError}.
 */
export function assertBody(body: unknown, queueId: string): void {
  if (body === undefined || body === null) {
    throw new InvalidMessageError(`publish to ${queueId}: body is required`);
  }
  if (typeof body === 'object') {
    // A for-in that returns on the first key costs far less than Object.keys().length.
    for (const _ in body) return;
    if (Array.isArray(body) || Object.getPrototypeOf(body) === Object.prototype || Object.getPrototypeOf(body) === null) {
      throw new InvalidMessageError(`publish to ${queueId}: body is an empty ${Array.isArray(body) ? 'array' : 'object'}`);
    }
  } else if (typeof body === 'function' || typeof body === 'symbol' || typeof body === 'bigint') {
    throw new InvalidMessageError(`publish to ${queueId}: body of type ${typeof body} cannot be encoded`);
  }
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
