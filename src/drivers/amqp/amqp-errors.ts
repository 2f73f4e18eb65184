/**
 * Reading amqplib's errors. amqplib reports a broker's channel or
 * connection close as an `Error` with the AMQP reply `code` (404
 * NOT_FOUND, 406 PRECONDITION_FAILED, 320 CONNECTION_FORCED, ...); calls on
 * a channel that is already gone fail with `IllegalOperationError` or
 * "Channel ended" errors.
 *
 * @internal
 */

/** The AMQP reply code carried by an amqplib error, if any. */
export function amqpCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The broker said NOT_FOUND (a queue that does not exist). */
export function isNotFound(error: unknown): boolean {
  return amqpCode(error) === 404;
}

/** The broker said PRECONDITION_FAILED (e.g. a queue declared with other arguments). */
export function isPreconditionFailed(error: unknown): boolean {
  return amqpCode(error) === 406;
}

/** The broker said ACCESS_REFUSED (e.g. a queue in exclusive use by another consumer). */
export function isAccessRefused(error: unknown): boolean {
  return amqpCode(error) === 403;
}

/** The call failed only because its channel (or connection) was already closing or closed. */
export function isChannelClosedError(error: unknown): boolean {
  if (!(error instanceof Error) || amqpCode(error) !== undefined) return false;
  return error.name === 'IllegalOperationError' || /channel (ended|closed|closing)|connection closed/i.test(error.message);
}

/** The broker's explanation from an amqplib close error, without the "Channel closed by server" preamble. */
export function brokerReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const m = /with message "([^"]*)"/.exec(message);
  return m ? m[1]! : message;
}
