import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ActorqError } from '../errors/actorq-error.ts';
import { allowedHosts } from '../util/allowed-hosts.ts';

/**
 * Who may talk to the inspector bridge. The bridge shows the inside of
 * the process (states, errors, with `--inspect-payloads` message content),
 * so a request must pass three checks:
 *
 * - `Host` is a loopback name (DNS rebinding sends the attacker's name);
 * - the URL carries the random token printed at start (another local
 *   user or a page guessing the port has no way to learn it);
 * - a browser's `Origin` is the bridge's own page or one the operator
 *   allowed with `--inspect-origin`. A request with no `Origin` at all does
 *   not come from a web page (browsers always send it on WebSockets), and
 *   is let in on the token alone, so scripts can watch too.
 */

/** Why a request was refused, as an HTTP status and a short reason. */
export interface Refusal {
  readonly status: 400 | 401 | 403 | 421;
  readonly reason: string;
}

/** A fresh random token: 32 bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Normalises an `--inspect-origin` value to its origin (`scheme://host[:port]`).
 * Throws a `CONFIG_INVALID` error naming the flag for anything else.
 *
 * @example
 * ```ts
 * parseOrigin('https://stately.ai/') // 'https://stately.ai'
 * ```
 */
export function parseOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ActorqError('CONFIG_INVALID', `--inspect-origin: expected an origin such as https://example.com, got "${value}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin === 'null' || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw new ActorqError('CONFIG_INVALID', `--inspect-origin: expected an origin (scheme://host[:port], nothing after it), got "${value}"`);
  }
  return url.origin;
}

/**
 * The checks for one bridge: its port (its own page's origins are
 * `http://127.0.0.1:<port>` and `http://localhost:<port>`), its token and
 * the extra allowed origins.
 *
 * @example
 * ```ts
 * const access = bridgeAccess({ port: 5678, token: newToken(), origins: [] })
 * const refusal = access.check(req) // undefined when allowed
 * ```
 */
export function bridgeAccess(options: { port: number; token: string; origins: readonly string[] }) {
  const hostAllowed = allowedHosts();
  const origins = new Set([`http://127.0.0.1:${options.port}`, `http://localhost:${options.port}`, ...options.origins.map(parseOrigin)]);
  const expected = createHash('sha256').update(options.token).digest();
  const tokenMatches = (given: string | null) => given !== null && timingSafeEqual(createHash('sha256').update(given).digest(), expected);

  /** `undefined` when `req` may go on, else why not. */
  const check = (req: IncomingMessage): Refusal | undefined => {
    if (!hostAllowed(req.headers.host)) return { status: 421, reason: 'this server answers only for localhost and 127.0.0.1' };
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin)) return { status: 403, reason: `origin ${JSON.stringify(origin).slice(0, 200)} is not allowed (see --inspect-origin)` };
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return { status: 400, reason: 'bad request URL' };
    }
    if (!tokenMatches(url.searchParams.get('token'))) return { status: 401, reason: 'missing or wrong token: use the URL actorq printed at start' };
    return undefined;
  };

  return { check, origins: [...origins] as readonly string[] };
}
