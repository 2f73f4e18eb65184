import type { Msg } from '@nats-io/transport-node';

/**
 * What a status message on a pull consumer's inbox says about the pull
 * requests waiting on the server. @internal
 *
 * - `heartbeat`: a request is still waiting (`100 Idle Heartbeat`);
 * - `ended`: a request ended with `pending` of its batch undelivered
 *   (`408 Request Timeout`, `409 Exceeded MaxWaiting`, ... with
 *   `Nats-Pending-Messages`), or an unknown number when the server does
 *   not say;
 * - `consumer-gone`: the consumer was deleted (`409 Consumer Deleted`) or
 *   nobody serves pull requests for it (`503`): it must be created again.
 */
export type PullStatus =
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'ended'; readonly pending: number | undefined; readonly description: string }
  | { readonly kind: 'consumer-gone'; readonly description: string };

const HEARTBEAT: PullStatus = { kind: 'heartbeat' };

/** Reads a status message; `undefined` for a message that carries data (it has a JetStream ack subject). */
export function readPullStatus(msg: Msg): PullStatus | undefined {
  if (msg.reply) return undefined;
  const h = msg.headers;
  const code = h?.code ?? 0;
  if (code === 0) return undefined;
  if (code === 100) return HEARTBEAT;
  const description = `${code} ${h?.description ?? ''}`.trim();
  if (code === 503 || (code === 409 && /consumer deleted/i.test(description))) return { kind: 'consumer-gone', description };
  const raw = h?.get('Nats-Pending-Messages');
  const pending = raw ? Number(raw) : Number.NaN;
  return { kind: 'ended', pending: Number.isSafeInteger(pending) && pending >= 0 ? pending : undefined, description };
}
