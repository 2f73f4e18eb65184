import { readFileSync } from 'node:fs';
import type { Options, SocketOptions } from 'amqplib';
import type { AmqpDriverOptions, AmqpTlsOptions } from './amqp-options.ts';
import { maskUrl } from './mask-url.ts';

/** Everything `amqplib.connect` needs, plus what may be shown to people. */
export interface ConnectArgs {
  /** Connection fields (credentials included: never log this object). */
  readonly url: Options.Connect;
  /** Socket and TLS options, with the connection name shown by the broker. */
  readonly socket: SocketOptions;
  /** The URL with its password masked, for logs and errors. */
  readonly display: string;
  /** Values that must never appear in output (password, key material). */
  readonly secrets: readonly string[];
}

/**
 * Builds the connect arguments from validated driver options: URL parts,
 * `vhost` override, heartbeat in seconds, connect timeout, TLS material
 * from files or environment variables. Throws an `Error` naming the option
 * (never its value) when TLS material cannot be read.
 *
 * @param connectionName shown by `rabbitmqctl list_connections client_properties`; the driver uses its registry ID.
 */
export function buildConnectArgs(options: AmqpDriverOptions, connectionName: string, env: NodeJS.ProcessEnv = process.env): ConnectArgs {
  const u = new URL(options.url);
  const tlsOn = u.protocol === 'amqps:' || options.tls?.enabled === true;
  const password = decodeURIComponent(u.password);
  const vhost = options.vhost ?? (u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/');
  const url: Options.Connect = {
    protocol: tlsOn ? 'amqps' : 'amqp',
    hostname: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : tlsOn ? 5671 : 5672,
    username: u.username === '' && u.password === '' ? 'guest' : decodeURIComponent(u.username),
    password: u.username === '' && u.password === '' ? 'guest' : password,
    vhost,
    // amqplib wants whole seconds; round up so "500ms" does not become 0 (= disabled).
    ...(options.heartbeat !== undefined ? { heartbeat: Math.ceil(options.heartbeat / 1000) } : {}),
  };
  const socket: SocketOptions = {
    timeout: options.connection_timeout,
    noDelay: true,
    clientProperties: { connection_name: connectionName },
    ...(tlsOn && options.tls ? readTls(options.tls, env) : {}),
  };
  const shown = new URL(options.url);
  if (tlsOn) shown.protocol = 'amqps:';
  if (options.vhost !== undefined) shown.pathname = `/${encodeURIComponent(options.vhost)}`;
  const secrets = [password, ...(socket.key ? [String(socket.key)] : [])].filter((s) => s.length > 0);
  return { url, socket, display: maskUrl(shown.toString()), secrets };
}

function readTls(tls: AmqpTlsOptions, env: NodeJS.ProcessEnv): Pick<SocketOptions, 'ca' | 'cert' | 'key'> {
  const out: Pick<SocketOptions, 'ca' | 'cert' | 'key'> = {};
  for (const name of ['ca', 'cert', 'key'] as const) {
    const value = pem(tls, name, env);
    if (value !== undefined) out[name] = name === 'ca' ? [value] : value;
  }
  return out;
}

function pem(tls: AmqpTlsOptions, name: 'ca' | 'cert' | 'key', env: NodeJS.ProcessEnv): string | undefined {
  const path = tls[name];
  const variable = tls[`${name}_env`];
  if (path !== undefined) {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`tls.${name}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  if (variable !== undefined) {
    const value = env[variable];
    if (value === undefined || value === '') throw new Error(`tls.${name}_env: environment variable ${variable} is not set`);
    return value;
  }
  return undefined;
}
