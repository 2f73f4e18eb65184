import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the NATS server binary is looked for; `ACTORQ_NATS_SERVER` overrides. */
const BINARY = process.env['ACTORQ_NATS_SERVER'] ?? 'nats-server';

/**
 * A private `nats-server -js` for tests that restart or kill NATS: its own
 * free loopback port and temporary JetStream store directory, so the shared
 * server on 4222 is never touched. The file store survives {@link kill} and
 * {@link restart}, as a real deployment's disk would.
 */
export interface NatsServer {
  readonly port: number;
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** Kills the server (SIGKILL, like a crash) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store; resolves when it accepts clients. */
  restart(): Promise<void>;
  /** Kills it and removes its store directory. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** More command-line flags, e.g. `['--user', 'app', '--pass', 'secret']`. */
  readonly args?: readonly string[];
}

/** Starts a private NATS server with JetStream; resolves once it is ready for clients. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'actorq-nats-'));
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, ...(options.args ?? [])];
  let child: ChildProcess | undefined = await launch(args);
  let removed = false;

  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    kill,
    async restart() {
      await kill();
      child = await launch(args);
    },
    async stop() {
      await kill();
      if (!removed) {
        removed = true;
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Spawns nats-server and waits for its "Server is ready" line. */
function launch(args: readonly string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`nats-server did not become ready within 20s:\n${output}`)), 20_000);
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    // nats-server logs to stderr.
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!settled && /Server is ready/.test(output)) {
        settled = true;
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve(child);
      }
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`nats-server exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
}

/** A loopback port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
