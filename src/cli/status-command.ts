import { parseArgs } from 'node:util';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import type { CliCommand } from './cli-io.ts';

/**
 * `actorq status [--metrics-url http://127.0.0.1:9464]`: asks a running
 * `actorq run --metrics ...` for its `/status` and prints every entry's
 * lifecycle state and figures as tables.
 */
export const statusCommand: CliCommand = {
  summary: 'show lifecycle states and figures of a running `actorq run --metrics`',
  usage: 'actorq status [--metrics-url http://127.0.0.1:9464] [--json]',
  async run(args, io) {
    let values;
    try {
      ({ values } = parseArgs({ args: [...args], options: { 'metrics-url': { type: 'string', default: 'http://127.0.0.1:9464' }, json: { type: 'boolean', default: false } } }));
    } catch (error) {
      io.err(`${(error as Error).message}\nusage: ${this.usage}`);
      return 2;
    }
    const base = values['metrics-url']!.replace(/\/+$/, '').replace(/\/(metrics|status)$/, '');
    let reading: RuntimeMetrics;
    try {
      const res = await fetch(`${base}/status`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      reading = (await res.json()) as RuntimeMetrics;
    } catch (error) {
      io.err(`cannot read ${base}/status: ${(error as Error).cause ?? (error as Error).message}\nis \`actorq run --metrics ${base.replace(/^https?:\/\//, '')} ...\` running?`);
      return 1;
    }
    if (values.json) io.out(JSON.stringify(reading, null, 2));
    else io.out(formatStatus(reading));
    return 0;
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

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
