import { createServer, type Server } from 'node:http';
import { createPrometheusMetrics } from './prometheus.ts';
import type { MetricsReader } from './runtime-metrics.ts';

/** A running metrics endpoint. See {@link startMetricsServer}. */
export interface MetricsServer {
  /** Base URL, e.g. `http://127.0.0.1:9464`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves a runtime's figures over HTTP:
 * - `GET /metrics`: Prometheus text (`prom-client`), read fresh per scrape;
 * - `GET /status`: the same reading as JSON ({@link RuntimeMetrics}), which
 *   `actorq status` prints as a table.
 *
 * Binds where it is told; `actorq run --metrics` defaults to loopback.
 *
 * @example
 * ```ts
 * const server = await startMetricsServer(runtime, { host: '127.0.0.1', port: 9464 })
 * ```
 */
export async function startMetricsServer(runtime: MetricsReader, where: { host: string; port: number }): Promise<MetricsServer> {
  const prom = createPrometheusMetrics();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
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
