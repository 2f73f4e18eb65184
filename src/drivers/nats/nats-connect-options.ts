import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { NatsDriverOptions } from './nats-options.ts';

/** What the driver shows and hides about where it connects. */
export interface NatsTarget {
  /** The servers, passwords and tokens in URLs masked: for logs and errors. */
  readonly display: string;
  /** Values that must never appear in output (passwords, tokens). */
  readonly secrets: readonly string[];
}

/**
 * Where the driver connects, printable. Only the servers' hosts and ports
 * and the user name are shown; a password or token in a URL is masked.
 */
export function describeTarget(o: NatsDriverOptions): NatsTarget {
  const servers = typeof o.servers === 'string' ? [o.servers] : o.servers;
  const secrets: string[] = [];
  if (o.password !== undefined) secrets.push(o.password);
  if (o.token !== undefined) secrets.push(o.token);
  const shown = servers.map((s) => {
    // User info runs to the last `@` before the path, as URL parsers read it:
    // a password holding a bare `@` is masked whole.
    const m = /^([a-z][a-z0-9+.-]*:\/\/)?([^/]*@)?(.*)$/i.exec(s)!;
    const auth = m[2];
    if (!auth) return s;
    const [user, pass] = auth.slice(0, -1).split(':', 2) as [string, string | undefined];
    if (pass !== undefined && pass !== '') secrets.push(decodeURIComponentSafe(pass));
    // `nats://token@host`: a lone userinfo part is a token.
    if (pass === undefined && user !== '') secrets.push(decodeURIComponentSafe(user));
    return `${m[1] ?? ''}${pass === undefined ? '***' : `${user}:***`}@${m[3]}`;
  });
  return { display: shown.join(','), secrets: secrets.filter((s) => s.length > 0) };
}

/**
 * The nats.js connection options for one connect attempt. The client's own
 * reconnect is off: the connection machine decides when to connect again,
 * and a fresh connection starts clean (subscriptions and pulls are set up
 * again by the driver). Files (`nkey`, `credentials`, TLS) are read now, so
 * a changed file is picked up by the next reconnect; an unreadable one is
 * an `Error` naming the option and path, never their content.
 */
export function connectOptions(o: NatsDriverOptions, name: string): NodeConnectionOptions {
  const options: NodeConnectionOptions = {
    servers: o.servers,
    name: o.name ?? name,
    reconnect: false,
    timeout: o.connect_timeout,
    pingInterval: o.ping_interval,
    maxPingOut: 2,
    noAsyncTraces: true,
  };
  if (o.user !== undefined) options.user = o.user;
  if (o.password !== undefined) options.pass = o.password;
  if (o.token !== undefined) options.token = o.token;
  if (o.nkey !== undefined) options.authenticator = nkeyAuthenticator(new TextEncoder().encode(readText(o.nkey, 'nkey').trim()));
  if (o.credentials !== undefined) options.authenticator = credsAuthenticator(new TextEncoder().encode(readText(o.credentials, 'credentials')));
  // A `tls://` server asks for TLS: without `tls` set the client would use it
  // only where the server offers it, and talk plain text to one that does not.
  const servers = typeof o.servers === 'string' ? [o.servers] : o.servers;
  const tls = o.tls ?? (servers.some((s) => /^tls:\/\//i.test(s)) ? true : undefined);
  if (tls === true) options.tls = {};
  else if (tls) {
    options.tls = { handshakeFirst: tls.handshake_first };
    if (tls.ca !== undefined) options.tls.ca = readText(tls.ca, 'tls.ca');
    if (tls.cert !== undefined) options.tls.cert = readText(tls.cert, 'tls.cert');
    if (tls.key !== undefined) options.tls.key = readText(tls.key, 'tls.key');
  }
  return options;
}

function readText(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${option}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
