import { createServer, type Server } from 'node:http';
import { allowedHosts, LOOPBACK_HOSTS } from '../util/allowed-hosts.ts';
import { createPrometheusMetrics } from './prometheus.ts';
import type { MetricsReader } from './runtime-metrics.ts';

/** A running metrics endpoint. See {@link startMetricsServer}. */
export interface MetricsServer {
  /** Base URL, e.g. `http://127.0.0.1:9464`. */
  readonly url: string;
  /** Host names it answers for (loopback names, the bind address, `allowedHosts`). */
  readonly hosts: readonly string[];
  close(): Promise<void>;
}

/** Where {@link startMetricsServer} listens and whom it answers. */
export interface MetricsListen {
  /** Address to bind, e.g. `127.0.0.1`. */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /**
   * Host names (or IP addresses) clients may put in `Host` besides the
   * loopback names and `host` itself, e.g. the name a remote Prometheus
   * scrapes. @default []
   */
  readonly allowedHosts?: readonly string[];
  /**
   * Also serve prom-client's process and Node.js metrics (`process_*`, `nodejs_*`).
   * @default true
   */
  readonly defaultMetrics?: boolean;
}

/**
 * Serves a runtime's figures over HTTP:
 * - `GET /metrics`: Prometheus text (`prom-client`), read fresh per scrape;
 * - `GET /status`: the same reading as JSON ({@link RuntimeMetrics}), which
 *   `actorq status` prints as a table.
 *
 * Binds where it is told; `actorq run --metrics` defaults to loopback.
 * Answers only requests whose `Host` header names this machine's loopback
 * (`localhost`, `127.0.0.1`, `::1`), the bind address, or one of
 * `allowedHosts`; any other gets 421 Misdirected Request. A page on
 * another site that rebinds its DNS name to 127.0.0.1 sends its own name
 * as `Host`, so it cannot read the figures.
 *
 * @example
 * ```ts
 * const server = await startMetricsServer(runtime, { host: '127.0.0.1', port: 9464 })
 * ```
 */
export async function startMetricsServer(runtime: MetricsReader, where: MetricsListen): Promise<MetricsServer> {
  const prom = createPrometheusMetrics(where.defaultMetrics === undefined ? {} : { defaultMetrics: where.defaultMetrics });
  const names = [where.host, ...(where.allowedHosts ?? [])];
  const hostAllowed = allowedHosts(names);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (!hostAllowed(req.headers.host)) return reply(421, 'text/plain', 'misdirected request: this server does not answer for that host name\n');
    if (req.method !== 'GET') return reply(405, 'text/plain', 'method not allowed\n');
    if (path !== '/metrics' && path !== '/status') return reply(404, 'text/plain', 'try /metrics or /status\n');
    runtime.metrics().then(
      async (reading) => {
        if (path === '/status') reply(200, 'application/json', JSON.stringify(reading));
        else reply(200, prom.registry.contentType, await prom.scrape(reading));
      },
      (error: unknown) => reply(500, 'text/plain', `${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where.port, where.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : where.port;
  const host = where.host.includes(':') ? `[${where.host}]` : where.host;
  return {
    url: `http://${host}:${port}`,
    hosts: [...new Set([...LOOPBACK_HOSTS, ...names.filter((n) => n !== '0.0.0.0' && n !== '::')])],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets (a scraper's) would hold close() and the process open.
        server.closeIdleConnections();
      }),
  };
}

/**
 * Parses `--metrics` values: `9464`, `127.0.0.1:9464`, `[::1]:9464`, or
 * empty for the default `127.0.0.1:9464`.
 */
export function parseListenAddress(value: string, defaultPort = 9464): { host: string; port: number } | undefined {
  const v = value.trim();
  if (v === '' || v === 'true') return { host: '127.0.0.1', port: defaultPort };
  const colon = v.lastIndexOf(':');
  const hostPart = colon < 0 ? '127.0.0.1' : v.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const portPart = colon < 0 ? v : v.slice(colon + 1);
  if (!/^\d+$/.test(portPart) || hostPart === '') return undefined;
  const port = Number(portPart);
  return port > 65535 ? undefined : { host: hostPart, port };
}
