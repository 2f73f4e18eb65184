import type { RedisOptions } from 'ioredis';
import { DEFAULT_REDIS_URL, type RedisDriverOptions } from './redis-kind.ts';

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
    .replace(/^(rediss?:\/\/)([^@/?#]*)@/i, (_m, scheme: string, auth: string) => {
      const colon = auth.indexOf(':');
      // `redis://secret@host` carries a password without a user name.
      return `${scheme}${colon >= 0 ? `${auth.slice(0, colon)}:***` : '***'}@`;
    })
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** Where the driver connects, printable (password masked). */
export function describeTarget(o: RedisDriverOptions): string {
  if (o.url !== undefined) return maskUrl(o.url);
  return `redis://${o.username ? `${o.username}:***@` : o.password ? '***@' : ''}${o.host ?? '127.0.0.1'}:${o.port ?? 6379}${o.db ? `/${o.db}` : ''}`;
}

/**
 * The URL and ioredis options for one connection. ioredis's own reconnect
 * and offline queue are switched off: the connection machine decides when
 * to reconnect, and a command issued while disconnected fails at once
 * instead of waiting in a hidden buffer (the driver retries settles itself
 * after the machine reconnects).
 */
export function clientOptions(o: RedisDriverOptions, name: string): { url: string; options: RedisOptions } {
  const url = o.url ?? DEFAULT_REDIS_URL;
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
  if (o.host !== undefined) options.host = o.host;
  if (o.port !== undefined) options.port = o.port;
  if (o.username !== undefined) options.username = o.username;
  if (o.password !== undefined) options.password = o.password;
  if (o.db !== undefined) options.db = o.db;
  const tls = o.tls ?? (/^rediss:/i.test(url) ? true : undefined);
  if (tls === true) options.tls = {};
  else if (tls) {
    options.tls = { rejectUnauthorized: tls.reject_unauthorized };
    if (tls.ca) options.tls.ca = tls.ca;
    if (tls.cert) options.tls.cert = tls.cert;
    if (tls.key) options.tls.key = tls.key;
    if (tls.servername) options.tls.servername = tls.servername;
  }
  return { url: o.url !== undefined || o.host === undefined ? url : '', options };
}
