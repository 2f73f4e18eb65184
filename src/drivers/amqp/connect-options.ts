import { credentials, type Options, type SocketOptions } from 'amqplib';
import type { AmqpDriverOptions } from './amqp-options.ts';
import { tlsSocketOptions } from './tls-options.ts';
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
 * `vhost` override, heartbeat in seconds, connect timeout, frame and
 * channel limits, the SASL mechanism, TLS material (inline, from files or
 * environment variables). Throws an `Error` naming the option (never its
 * value) when TLS material cannot be read.
 *
 * @param driverId the connection name the broker shows (`rabbitmqctl
 *   list_connections client_properties`) unless `connection_name` gives one.
 * @param env environment for `tls.*_env`.
 * @param baseDir directory `file://` TLS paths are relative to (the YAML file's).
 */
export function buildConnectArgs(options: AmqpDriverOptions, driverId: string, env: NodeJS.ProcessEnv = process.env, baseDir: string = process.cwd()): ConnectArgs {
  const u = new URL(options.url);
  const tlsOn = u.protocol === 'amqps:' || options.tls?.enabled === true;
  const noUser = u.username === '' && u.password === '';
  const username = noUser ? 'guest' : decodeURIComponent(u.username);
  const password = noUser ? 'guest' : decodeURIComponent(u.password);
  const vhost = options.vhost ?? (u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/');
  const url: Options.Connect = {
    protocol: tlsOn ? 'amqps' : 'amqp',
    hostname: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : tlsOn ? 5671 : 5672,
    username,
    password,
    vhost,
    // amqplib wants whole seconds; round up so "500ms" does not become 0 (= disabled).
    ...(options.heartbeat !== undefined ? { heartbeat: Math.ceil(options.heartbeat / 1000) } : {}),
    ...(options.frame_size !== undefined ? { frameMax: options.frame_size } : {}),
    ...(options.channel_max !== undefined ? { channelMax: options.channel_max } : {}),
  };
  const socket: SocketOptions = {
    timeout: options.connection_timeout,
    noDelay: true,
    clientProperties: { connection_name: options.connection_name ?? driverId },
    ...(tlsOn && options.tls ? tlsSocketOptions(options.tls, env, baseDir) : {}),
  };
  // PLAIN is amqplib's own choice from the URL's user and password.
  if (options.auth_mechanism === 'AMQPLAIN') socket['credentials'] = credentials.amqplain(username, password);
  else if (options.auth_mechanism === 'EXTERNAL') socket['credentials'] = credentials.external();
  const shown = new URL(options.url);
  if (tlsOn) shown.protocol = 'amqps:';
  if (options.vhost !== undefined) shown.pathname = `/${encodeURIComponent(options.vhost)}`;
  const secrets = [password, ...(socket.key ? [String(socket.key)] : [])].filter((s) => s.length > 0);
  return { url, socket, display: maskUrl(shown.toString()), secrets };
}

