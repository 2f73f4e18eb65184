import { ActorqError } from '../errors/actorq-error.ts';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.ts';
import { DEFAULT_METRICS_ADDRESS, metricsAddress } from './metrics-address.ts';
import type { RunExtension } from './run-extensions.ts';

/**
 * `actorq run --metrics [host:port] [--metrics-host <name>]...`: Prometheus
 * text on `/metrics` and a JSON status (for `actorq status`) on `/status`.
 * `--metrics` alone (or an empty value) means `127.0.0.1:9464`; the value
 * may also be a port or a URL, as `actorq status --metrics-url` takes it.
 *
 * The server answers only requests whose `Host` is a loopback name, the
 * bind address, or a `--metrics-host` name (what a remote scraper uses when
 * bound to a public address), so a web page cannot read it via DNS
 * rebinding. Flag values are checked, and the port opened, before the
 * runtime starts: a port in use is a one-line error and nothing connects.
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
      where = metricsAddress(String(value));
      if (!where) throw new ActorqError('CONFIG_INVALID', `--metrics: expected host:port, a port or an http:// URL (default ${DEFAULT_METRICS_ADDRESS}), got "${String(value)}"`);
      for (const host of hosts) {
        if (!/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*|[A-Za-z0-9._-]+)$/.test(host)) throw new ActorqError('CONFIG_INVALID', `--metrics-host: expected a host name or IP address, got "${host}"`);
      }
      return options;
    },
    async listen(runtime, values, io) {
      if (!where) return undefined;
      const hosts = (values['metrics-host'] as string[] | undefined) ?? [];
      let server: MetricsServer;
      try {
        server = await startMetricsServer(runtime, { ...where, allowedHosts: hosts });
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        const why = e.code === 'EADDRINUSE' ? 'is in use (choose another with --metrics host:port)' : `cannot be opened: ${e.message}`;
        throw new ActorqError('START_FAILED', `metrics: ${where.host}:${where.port} ${why}`, { cause: error });
      }
      io.err(`actorq: metrics at ${server.url}/metrics, status at ${server.url}/status (answers for ${server.hosts.join(', ')})`);
      return server;
    },
    async stopped(state) {
      await (state as MetricsServer | undefined)?.close();
    },
  };
}
