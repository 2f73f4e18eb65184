/**
 * `Host` header checks for actorq's local HTTP surfaces (the inspector
 * bridge, the metrics endpoint).
 *
 * A server on 127.0.0.1 is still reachable from a web page through DNS
 * rebinding: the attacker's name resolves to 127.0.0.1, and the browser
 * then sends `Host: attacker.example`. Answering only for loopback names
 * and the names the operator configured closes that door.
 */

/** Names that always mean "this machine". */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/**
 * The host name of a `Host` header value, lower-cased, without port,
 * brackets or a trailing dot; `undefined` when absent or malformed.
 *
 * @example
 * ```ts
 * hostNameOf('[::1]:9464') // '::1'
 * hostNameOf('LocalHost.:80') // 'localhost'
 * ```
 */
export function hostNameOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const value = header.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1];
  const plain = /^([a-z0-9._-]+)(?::\d+)?$/.exec(value);
  return plain ? plain[1]!.replace(/\.$/, '') : undefined;
}

/**
 * A predicate over `Host` header values that accepts the loopback names
 * and `names` (host names or IP literals, e.g. the address a server was
 * told to bind, or names a scraper uses). The wildcard binds `0.0.0.0`
 * and `::` are not names a client sends, so they add nothing.
 *
 * @example
 * ```ts
 * const allowed = allowedHosts(['metrics.internal'])
 * allowed('metrics.internal:9464') // true
 * allowed('evil.example') // false
 * ```
 */
export function allowedHosts(names: readonly string[] = []): (header: string | undefined) => boolean {
  const set = new Set<string>(LOOPBACK_HOSTS);
  for (const name of names) {
    const host = hostNameOf(name.includes(':') && !name.startsWith('[') ? `[${name}]` : name) ?? hostNameOf(name);
    if (host && host !== '0.0.0.0' && host !== '::') set.add(host);
  }
  return (header) => {
    const host = hostNameOf(header);
    return host !== undefined && set.has(host);
  };
}
