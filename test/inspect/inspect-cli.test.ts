import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../model/runtime-targets.ts';
import { buildTree, byName, probe } from './ws-probe.ts';

// `actorq run --inspect` as a user runs it: a child process, a WebSocket
// client connected like the page, then Ctrl-C.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'src/cli/bin.mjs');

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function run(...args: string[]) {
  const child = spawn(process.execPath, [BIN, 'run', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe('actorq run --inspect (subprocess)', { timeout: 60_000 }, () => {
  it('exits on SIGINT within a few seconds while a client is connected; the client sees every actor stop', async () => {
    const port = await freePort();
    const r = run('--inspect', '--inspect-port', String(port), 'specs/seed');
    await until(() => expect(r.stderr()).toMatch(/running \d+ entries/), 30_000);
    const url = /inspector at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(r.stderr())?.[1];
    expect(url, r.stderr()).toBeDefined();
    const ws = new URL(url!);
    ws.protocol = 'ws:';
    const client = probe(ws.href, { origin: `http://127.0.0.1:${port}` });
    await client.opened;
    await until(() => expect(byName(buildTree(client.messages), 'app.queue:task_consumer')?.value).toBe('running'));
    const signalled = Date.now();
    r.child.kill('SIGINT');
    const code = await Promise.race([r.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5_000))]);
    expect(code, r.stderr()).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect((await client.closed).code).toBe(1001);
    const tree = buildTree(client.messages);
    for (const id of ['actorq', 'app.queue:memory_driver', 'app.queue:tasks', 'app.queue:task_consumer']) expect(byName(tree, id)?.value, id).toBe('stopped');
    // Every lifecycle actor (workers included) shows stopped; every other actor (invoked waits) has ended.
    const lifecycle = [...tree.values()].filter((n) => n.name === 'actorq' || n.name.startsWith('app.queue:'));
    expect(lifecycle.filter((n) => n.name.includes('#worker-')).length).toBeGreaterThan(0);
    for (const node of lifecycle) expect(node.value, node.name).toBe('stopped');
    // (A lifecycle actor stays alive in `stopped`: the runtime can start again.)
    for (const node of tree.values()) if (!lifecycle.includes(node)) expect(node.status, node.name).not.toBe('active');
  });

  it('a bad --inspect-origin or --inspect-port is a usage error (exit 2) naming the flag', async () => {
    const bad = run('--inspect', '--inspect-origin', 'not a url', 'specs/seed');
    const port = run('--inspect', '--inspect-port', '70000', 'specs/seed');
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/--inspect-origin: expected an origin/);
    expect(await port.exited).toBe(2);
    expect(port.stderr()).toMatch(/--inspect-port: expected a port number/);
  });

  it('an inspector port already in use fails the run (exit 1) and the process still exits', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = run('--inspect', '--inspect-port', String(port), 'specs/seed');
      expect(await r.exited).toBe(1);
      expect(r.stderr()).toMatch(new RegExp(`inspector: port ${port} on 127.0.0.1 is in use`));
    } finally {
      blocker.close();
    }
  });
});
