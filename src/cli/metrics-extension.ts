import { ActorqError } from '../errors/actorq-error.ts';
import { parseListenAddress, startMetricsServer, type MetricsServer } from '../metrics/metrics-server.ts';
import type { RunExtension } from './run-extensions.ts';

/**
 * `actorq run --metrics [host:port] [--metrics-host <name>]...`: Prometheus
 * text on `/metrics` and a JSON status (for `actorq status`) on `/status`.
 * `--metrics` alone (or an empty value) means `127.0.0.1:9464`.
 *
 * The server answers only requests whose `Host` is a loopback name, the
 * bind address, or a `--metrics-host` name (what a remote scraper uses when
 * bound to a public address), so a web page cannot read it via DNS
 * rebinding. Flag values are checked before the runtime starts.
 * @internal
 */
export function metricsExtension(): RunExtension {
  let where: { host: string; port: number } | undefined;
  return {
    options: { metrics: { type: 'string' }, 'metrics-host': { type: 'string', multiple: true } },
    configure(options, values) {
      const value = values['metrics'];
      const hosts = (values['metrics-host'] as string[] | undefined) ?? [];
      if (value === undefined) {
        if (hosts.length > 0) throw new ActorqError('CONFIG_INVALID', '--metrics-host: only meaningful with --metrics');
        return options;
      }
      where = parseListenAddress(String(value));
      if (!where) throw new ActorqError('CONFIG_INVALID', `--metrics: expected host:port or a port, got "${String(value)}"`);
      for (const host of hosts) {
        if (!/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*|[A-Za-z0-9._-]+)$/.test(host)) throw new ActorqError('CONFIG_INVALID', `--metrics-host: expected a host name or IP address, got "${host}"`);
      }
      return options;
    },
    async started(runtime, values, io) {
      if (!where) return undefined;
      const hosts = (values['metrics-host'] as string[] | undefined) ?? [];
      const server = await startMetricsServer(runtime, { ...where, allowedHosts: hosts });
      io.err(`actorq: metrics at ${server.url}/metrics, status at ${server.url}/status (answers for ${server.hosts.join(', ')})`);
      return server;
    },
    async stopped(state) {
      await (state as MetricsServer | undefined)?.close();
    },
  };
}
