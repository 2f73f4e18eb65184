import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/metrics-server.ts';
import { allowedHosts, hostNameOf } from '../../src/util/allowed-hosts.ts';
import { until } from '../model/runtime-targets.ts';

// DNS rebinding: a page on evil.example whose name now resolves to
// 127.0.0.1 reaches the metrics port, but its requests carry
// `Host: evil.example`. The server must not answer those.

const YAML = `namespace: app
entries:
  - { name: mem, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: app:mem }
`;

/** GET with an explicit Host header (fetch would not let us set it). */
function get(url: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: host === undefined ? {} : { host }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

describe('metrics server Host check', () => {
  const runtime = createRuntime({ registry: parseConfigText(YAML, '<inline>'), logger: silentLogger });
  let server: MetricsServer;
  let port: string;
  beforeAll(async () => {
    await runtime.start();
    server = await startMetricsServer(runtime, { host: '127.0.0.1', port: 0, allowedHosts: ['metrics.internal'] });
    port = new URL(server.url).port;
  });
  afterAll(async () => {
    await server.close();
    await runtime.stop();
  });

  it('refuses a foreign Host with 421 on every path', async () => {
    for (const path of ['/metrics', '/status', '/nope']) {
      const r = await get(`${server.url}${path}`, `evil.example:${port}`);
      expect(r.status, path).toBe(421);
      expect(r.body).not.toContain('actorq_');
    }
    expect((await get(`${server.url}/metrics`, 'evil.example')).status).toBe(421);
    expect((await get(`${server.url}/metrics`, 'localhost.evil.example')).status).toBe(421);
    expect((await get(`${server.url}/metrics`, '127.0.0.1.evil.example')).status).toBe(421);
  });

  it('answers 127.0.0.1, localhost, [::1] and a configured name with 200', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `[::1]:${port}`, `metrics.internal:${port}`]) {
      const r = await get(`${server.url}/metrics`, host);
      expect(r.status, host).toBe(200);
      expect(r.body).toContain('actorq_runtime_state');
    }
    expect(server.hosts).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', '::1', 'metrics.internal']));
  });

  it('parses Host values strictly', () => {
    expect(hostNameOf('[::1]:9464')).toBe('::1');
    expect(hostNameOf('LocalHost.:80')).toBe('localhost');
    expect(hostNameOf('a b')).toBeUndefined();
    expect(hostNameOf('')).toBeUndefined();
    expect(hostNameOf(undefined)).toBeUndefined();
    const allowed = allowedHosts(['0.0.0.0', '::', '10.0.0.5', 'fe80::1']);
    expect(allowed('0.0.0.0:9464')).toBe(false);
    expect(allowed('10.0.0.5:9464')).toBe(true);
    expect(allowed('[fe80::1]:9464')).toBe(true);
    expect(allowed(undefined)).toBe(false);
  });
});

describe('actorq run --metrics / --metrics-host (subprocess)', { timeout: 60_000 }, () => {
  it('answers only loopback names and --metrics-host names; bad values are usage errors', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const child = spawn(process.execPath, ['src/cli/bin.mjs', 'run', '--metrics', `127.0.0.1:${port}`, '--metrics-host', 'scrape.internal', 'specs/seed'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await until(() => expect(stderr).toMatch(/running \d+ entries/), 30_000);
      expect(stderr).toContain('answers for localhost, 127.0.0.1, ::1, scrape.internal');
      expect((await get(`http://127.0.0.1:${port}/metrics`, `evil.example:${port}`)).status).toBe(421);
      expect((await get(`http://127.0.0.1:${port}/metrics`, `scrape.internal:${port}`)).status).toBe(200);
      expect((await get(`http://127.0.0.1:${port}/status`)).status).toBe(200);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const orphan = spawnSync(process.execPath, ['src/cli/bin.mjs', 'run', '--metrics-host', 'x', 'specs/seed'], { encoding: 'utf8' });
    expect(orphan.status).toBe(2);
    expect(orphan.stderr).toContain('--metrics-host: only meaningful with --metrics');
  });
});
