import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import { EXIT, type CliCommand } from './cli-io.ts';
import { parseCommandArgs, usageError } from './command-args.ts';
import { DEFAULT_METRICS_ADDRESS, metricsAddress, metricsBaseUrl } from './metrics-address.ts';
import { table } from './text-table.ts';

/**
 * `actorq status [--metrics-url 127.0.0.1:9464]`: asks a running
 * `actorq run --metrics ...` for its `/status` and prints every entry's
 * lifecycle state and figures as tables. The address is written as
 * `run --metrics` takes it (host:port, a port, or a URL).
 */
export const statusCommand: CliCommand = {
  summary: 'show lifecycle states and figures of a running `actorq run --metrics`',
  usage: 'actorq status [--metrics-url <address>] [--json]',
  help: `Reads /status from a running \`actorq run --metrics\` and prints every entry's
lifecycle state, and the figures of every queue and consumer, as tables.

options:
  --metrics-url <address>  where that run serves metrics, as given to
                           run --metrics: host:port, a port, or an http:// URL
                           (default ${DEFAULT_METRICS_ADDRESS})
  --json                   print the reading as JSON instead of tables

exit codes: 0 printed, 1 the server could not be read, 2 usage error.`,
  async run(args, io) {
    const parsed = parseCommandArgs(this, args, { 'metrics-url': { type: 'string', default: DEFAULT_METRICS_ADDRESS }, json: { type: 'boolean', default: false } }, io);
    if ('exit' in parsed) return parsed.exit;
    if (parsed.positionals.length > 0) return usageError(this, `unexpected argument "${parsed.positionals[0]}"`, io);
    const given = parsed.values['metrics-url'] as string;
    const address = metricsAddress(given);
    if (!address) return usageError(this, `--metrics-url: expected host:port, a port or an http:// URL, got "${given}"`, io);
    const base = metricsBaseUrl(address);
    let reading: RuntimeMetrics;
    try {
      const res = await fetch(`${base}/status`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      reading = (await res.json()) as RuntimeMetrics;
    } catch (error) {
      io.err(`cannot read ${base}/status: ${(error as Error).cause ?? (error as Error).message}\nis \`actorq run --metrics ${base.replace(/^https?:\/\//, '')} ...\` running?`);
      return EXIT.failed;
    }
    if (parsed.values['json']) io.out(JSON.stringify(reading, null, 2));
    else io.out(formatStatus(reading));
    return EXIT.ok;
  },
};

/** The tables `actorq status` prints. @internal */
export function formatStatus(m: RuntimeMetrics): string {
  const out = [`runtime: ${m.runtime}`, ''];
  out.push(
    table(
      ['entry', 'kind', 'state', 'error'],
      m.entries.map((e) => [e.id, e.kind, e.state, e.error ?? '']),
    ),
    '',
  );
  if (m.queues.length > 0) {
    out.push(
      table(
        ['queue', 'published', 'ready', 'in flight', 'acked', 'nacked', 'dead-lettered'],
        m.queues.map((q) => [q.id, q.published, q.ready ?? '?', q.inFlight ?? '?', q.acked, q.nacked, q.deadLettered].map(String)),
      ),
      '',
    );
  }
  if (m.consumers.length > 0) {
    const ms = (n: number) => (n === 0 ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(0));
    out.push(
      table(
        ['consumer', 'delivered', 'acked', 'nacked', 'dead-lettered', 'in flight', 'buffered', 'p50 ms', 'p95 ms', 'p99 ms'],
        m.consumers.map((c) =>
          [c.id, c.delivered, c.acked, c.nacked, c.deadLettered, `${c.inFlight}/${c.concurrency}`, `${c.buffered}/${c.prefetch}`, ms(c.latency.p50), ms(c.latency.p95), ms(c.latency.p99)].map(String),
        ),
      ),
    );
  }
  return out.join('\n').trimEnd();
}
