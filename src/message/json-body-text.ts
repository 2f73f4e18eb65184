import { InvalidMessageError } from '../errors/message-errors.ts';

/**
 * A body as JSON text, for the drivers that store text (AMQP, SQS, NATS).
 * The body rule has already been checked on publish; this still refuses
 * what `JSON.stringify` cannot encode (a cycle, a BigInt, a bare
 * `undefined`) with an error naming `where`, instead of storing nothing.
 *
 * @example
 * ```ts
 * jsonBodyText({ a: 1 }, 'publish to tasks') // '{"a":1}'
 * ```
 * @throws InvalidMessageError for a body JSON cannot encode.
 */
export function jsonBodyText(body: unknown, where: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch (e) {
    throw new InvalidMessageError(`${where}: body cannot be encoded as JSON: ${(e as Error).message}`);
  }
  if (json === undefined) throw new InvalidMessageError(`${where}: body cannot be encoded as JSON`);
  return json;
}
