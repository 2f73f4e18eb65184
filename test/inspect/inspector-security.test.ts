import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { startInspector, type LocalInspector } from '../../src/inspect/inspector-server.ts';
import { until } from '../model/runtime-targets.ts';
import { handshake, probe } from './ws-probe.ts';

// The bridge's trust boundary: who may connect, what a client may send,
// what reaches whom. Each test drives a real bridge over real sockets.

const started: LocalInspector[] = [];
async function bridge(options: Parameters<typeof startInspector>[0] = {}) {
  const inspector = await startInspector({ port: 0, ...options });
  started.push(inspector);
  const port = new URL(inspector.url).port;
  const token = new URL(inspector.url).searchParams.get('token') ?? '';
  return { inspector, port, token, ws: (query = `?token=${encodeURIComponent(token)}`) => `ws://127.0.0.1:${port}/${query}` };
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((i) => i.stop()));
});

/** A small actor whose lifecycle feeds the bridge, so clients have something to receive. */
function feedOne(inspector: LocalInspector) {
  const machine = createMachine({ id: 'light', initial: 'green', states: { green: { on: { next: 'red' } }, red: {} } });
  const actor = createActor(machine, { inspect: inspector.inspect, systemId: 'app:light' });
  actor.start();
  return actor;
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    }).on('error', reject);
  });
}

describe('inspector bridge: access', () => {
  it('refuses a WebSocket from a foreign Origin, accepts its own page and an --inspect-origin', async () => {
    const { port, ws } = await bridge({ origins: ['https://viewer.example'] });
    expect(await handshake(ws(), { origin: 'https://evil.example' })).toBe(403);
    expect(await handshake(ws(), { origin: `http://127.0.0.1:${Number(port) + 1}` })).toBe(403);
    expect(await handshake(ws(), { origin: 'null' })).toBe(403);
    expect(await handshake(ws(), { origin: `http://127.0.0.1:${port}` })).toBe('open');
    expect(await handshake(ws(), { origin: `http://localhost:${port}` })).toBe('open');
    expect(await handshake(ws(), { origin: 'https://viewer.example' })).toBe('open');
  });

  it('refuses a WebSocket without the token or with a wrong one', async () => {
    const { port, token, ws } = await bridge();
    const own = { origin: `http://127.0.0.1:${port}` };
    expect(await handshake(ws(''), own)).toBe(401);
    expect(await handshake(ws('?token='), own)).toBe(401);
    expect(await handshake(ws(`?token=${token.slice(0, -1)}x`), own)).toBe(401);
    expect(await handshake(ws(`?token=${token}`), own)).toBe('open');
  });

  it('refuses a foreign Host (DNS rebinding) on the page and the WebSocket', async () => {
    const { port, token, ws } = await bridge();
    expect(await handshake(ws(), { host: `evil.example:${port}` })).toBe(421);
    expect((await get(`http://127.0.0.1:${port}/?token=${token}`, { host: `evil.example:${port}` })).status).toBe(421);
  });

  it('serves the page only with the token; the page posts to the inspector origin, never "*"', async () => {
    const { port, token } = await bridge();
    expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(401);
    const page = await get(`http://127.0.0.1:${port}/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toMatch(/postMessage\([^)]*'\*'\)/);
    expect(page.body).toContain('postMessage(data, config.origin)');
    expect(page.body).toContain('"origin":"https://stately.ai"');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['content-security-policy']).toContain('frame-src https://stately.ai');
  });
});

describe('inspector bridge: what clients send', () => {
  it('never relays a client message to another client, nor keeps it for later ones', async () => {
    const { inspector, ws } = await bridge();
    const actor = feedOne(inspector);
    const watcher = probe(ws());
    const forger = probe(ws());
    await Promise.all([watcher.opened, forger.opened]);
    await until(() => expect(watcher.messages.length).toBeGreaterThan(0));
    const forged = { type: '@xstate.snapshot', sessionId: 'x:0', snapshot: { status: 'active', value: 'FORGED' }, _version: '0.7.2' };
    forger.socket.send(JSON.stringify(forged));
    forger.socket.send(JSON.stringify({ ...forged, type: '@xstate.actor', name: 'FORGED' }));
    // A real event after the forgery: once it arrived, the forgery would have too.
    actor.send({ type: 'next' });
    await until(() => expect(JSON.stringify(watcher.messages)).toContain('"red"'));
    const late = probe(ws());
    await late.opened;
    await until(() => expect(JSON.stringify(late.messages)).toContain('"red"'));
    expect(JSON.stringify(watcher.messages)).not.toContain('FORGED');
    expect(JSON.stringify(late.messages)).not.toContain('FORGED');
    expect(JSON.stringify(forger.messages)).not.toContain('FORGED');
    actor.stop();
  });

  it('refuses a 20 MB client message (connection closed 1009) and keeps none of it', async () => {
    const { inspector, ws } = await bridge();
    feedOne(inspector);
    const watcher = probe(ws());
    const big = probe(ws());
    await Promise.all([watcher.opened, big.opened]);
    const before = process.memoryUsage().arrayBuffers;
    big.socket.send(Buffer.alloc(20 * 1024 * 1024, 0x61));
    expect((await big.closed).code).toBe(1009);
    const late = probe(ws());
    await late.opened;
    await until(() => expect(late.messages.length).toBeGreaterThan(0));
    const longest = Math.max(...[...watcher.messages, ...late.messages].map((m) => JSON.stringify(m).length));
    expect(longest).toBeLessThan(64 * 1024);
    expect(inspector.clients).toBe(2);
    // The 20 MB live only in the sending client's buffer, released after send.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(40 * 1024 * 1024);
  });

  it('refuses clients past maxClients with 503', async () => {
    const { ws } = await bridge({ limits: { maxClients: 2 } });
    const a = probe(ws());
    const b = probe(ws());
    await Promise.all([a.opened, b.opened]);
    expect(await handshake(ws())).toBe(503);
    a.socket.close();
    await a.closed;
    await until(async () => expect(await handshake(ws())).toBe('open'));
  });
});
