import type { RedisOptions } from 'ioredis';
import { DEFAULT_REDIS_URL, type RedisDriverOptions } from './redis-kind.ts';

/** The host of {@link DEFAULT_REDIS_URL}, where host/port options without a host go. */
const DEFAULT_HOST = new URL(DEFAULT_REDIS_URL).hostname;

/**
 * Replaces the password (and any `password=` query value) of a Redis URL
 * with `***`, for logs and error messages.
 *
 * @example
 * ```ts
 * maskUrl('redis://app:s3cret@db:6379/2') // 'redis://app:***@db:6379/2'
 * ```
 */
export function maskUrl(url: string): string {
  return url
    // Up to the last `@` before the path: that is where URL parsers (and
    // ioredis) end the user info, so a password holding a bare `@` is masked whole.
    .replace(/^(rediss?:\/\/)([^/?#]*)@/i, (_m, scheme: string, auth: string) => {
      const colon = auth.indexOf(':');
      // `redis://secret@host` carries a password without a user name.
      return `${scheme}${colon >= 0 ? `${auth.slice(0, colon)}:***` : '***'}@`;
    })
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** Where the driver connects, printable (password masked). */
export function describeTarget(o: RedisDriverOptions): string {
  if (o.url !== undefined) return maskUrl(o.url);
  return `redis://${o.username ? `${o.username}:***@` : o.password ? '***@' : ''}${o.host ?? DEFAULT_HOST}:${o.port ?? 6379}${o.db ? `/${o.db}` : ''}`;
}

/**
 * The URL and ioredis options for one connection. ioredis's own reconnect
 * and offline queue are switched off: the connection machine decides when
 * to reconnect, and a command issued while disconnected fails at once
 * instead of waiting in a hidden buffer (the driver retries settles itself
 * after the machine reconnects).
 */
export function clientOptions(o: RedisDriverOptions, name: string): { url: string; options: RedisOptions } {
  const target = o.url === undefined ? { url: '' } : withoutOverridden(o.url, o);
  const url = target.url;
  const options: RedisOptions = {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    // A fetch is one script call per turn, issued when that turn's acks are
    // known (see RedisConsumption): an automatic pipeline around it would only
    // add an object and an event-loop hop before it leaves.
    autoPipeliningIgnoredCommands: ['aqFetch'],
    autoResubscribe: false,
    connectTimeout: o.connect_timeout,
    connectionName: name,
  };
  // Without a URL the options alone say where: a port given without a host
  // goes to the default host (beside the default URL, ioredis took the URL's port).
  if (o.url === undefined) options.host = o.host ?? DEFAULT_HOST;
  if (o.port !== undefined) options.port = o.port;
  const username = o.username ?? target.username;
  const password = o.password ?? target.password;
  if (username !== undefined) options.username = username;
  if (password !== undefined) options.password = password;
  if (o.db !== undefined) options.db = o.db;
  const tls = o.tls ?? (/^rediss:/i.test(o.url ?? '') ? true : undefined);
  if (tls === true) options.tls = {};
  else if (tls) {
    options.tls = { rejectUnauthorized: tls.reject_unauthorized };
    if (tls.ca) options.tls.ca = tls.ca;
    if (tls.cert) options.tls.cert = tls.cert;
    if (tls.key) options.tls.key = tls.key;
    if (tls.servername) options.tls.servername = tls.servername;
  }
  return { url, options };
}

/**
 * `url` without the parts that `username`, `password` and `db` replace.
 * ioredis lets what a URL says win over the options given beside it; the
 * driver's options are documented to win, so the URL no longer says it.
 * The user info goes as a whole (ioredis reads a URL with only a user name
 * as an empty password, which would win too): the half not replaced comes
 * back to be passed as an option.
 */
function withoutOverridden(url: string, o: RedisDriverOptions): { url: string; username?: string; password?: string } {
  if (o.username === undefined && o.password === undefined && o.db === undefined) return { url };
  const u = new URL(url);
  const kept: { username?: string; password?: string } = {};
  if (o.username !== undefined || o.password !== undefined) {
    if (u.username !== '') kept.username = decodeURIComponent(u.username);
    if (u.password !== '') kept.password = decodeURIComponent(u.password);
    u.username = '';
    u.password = '';
    if (o.password !== undefined) u.searchParams.delete('password');
  }
  if (o.db !== undefined) {
    u.pathname = '';
    u.searchParams.delete('db');
  }
  return { url: u.toString(), ...kept };
}
