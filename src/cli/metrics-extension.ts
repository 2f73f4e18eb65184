import { parseListenAddress, startMetricsServer, type MetricsServer } from '../metrics/metrics-server.ts';
import type { RunExtension } from './run-extensions.ts';

/**
 * `actorq run --metrics [host:port]`: Prometheus text on `/metrics` and a
 * JSON status (for `actorq status`) on `/status`. `--metrics` alone (or an
 * empty value) means `127.0.0.1:9464`.
 * @internal
 */
export function metricsExtension(): RunExtension {
  return {
    options: { metrics: { type: 'string' } },
    async started(runtime, values, io) {
      const value = values['metrics'];
      if (value === undefined) return undefined;
      const where = parseListenAddress(String(value));
      if (!where) throw new Error(`--metrics: expected host:port or a port, got "${String(value)}"`);
      const server = await startMetricsServer(runtime, where);
      io.err(`actorq: metrics at ${server.url}/metrics, status at ${server.url}/status`);
      return server;
    },
    async stopped(state) {
      await (state as MetricsServer | undefined)?.close();
    },
  };
}
