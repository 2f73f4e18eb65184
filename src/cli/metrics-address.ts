import { parseListenAddress } from '../metrics/metrics-server.ts';

/** Where `actorq run --metrics` listens and `actorq status` asks when given no address. */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9464';

/**
 * A metrics address as `run --metrics` and `status --metrics-url` both
 * take it: a port (`9464`), `host:port` (`127.0.0.1:9464`, `[::1]:9464`),
 * or a URL (`http://127.0.0.1:9464`, a trailing `/metrics` or `/status`
 * ignored); empty means {@link DEFAULT_METRICS_ADDRESS}. `undefined` when
 * it is none of these.
 *
 * @example
 * ```ts
 * metricsAddress('9464')                          // { host: '127.0.0.1', port: 9464 }
 * metricsAddress('http://localhost:9464/metrics') // { host: 'localhost', port: 9464 }
 * ```
 */
export function metricsAddress(value: string): { host: string; port: number } | undefined {
  const v = value.trim();
  const url = /^https?:\/\/([^/?#]+)(\/(metrics|status)?\/?)?$/i.exec(v);
  if (url) return parseListenAddress(url[1]!.includes(':') ? url[1]! : `${url[1]!}:80`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return undefined;
  return parseListenAddress(v);
}

/** The base URL (`http://host:port`) of a metrics address. */
export function metricsBaseUrl(address: { host: string; port: number }): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `http://${host}:${address.port}`;
}

/**
 * `run` arguments with a bare `--metrics` made explicit: `--metrics` is
 * followed by an address only when the next argument is one, so
 * `run --metrics specs/seed` means the default address and the file
 * `specs/seed`. (`--metrics=<address>` is never ambiguous.)
 */
export function explicitMetricsFlag(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (arg !== '--metrics') {
      out.push(arg);
      continue;
    }
    const next = args[i + 1];
    if (next !== undefined && !next.startsWith('-') && metricsAddress(next) !== undefined) {
      out.push(`--metrics=${next}`);
      i++;
    } else out.push(`--metrics=`);
  }
  return out;
}
