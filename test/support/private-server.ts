import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A broker process a test owns: its own loopback port and data directory. */
export interface PrivateServer {
  readonly port: number;
  /** Kills the server (SIGKILL, like a crash) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory; resolves when it is ready. */
  restart(): Promise<void>;
  /** Kills it and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** How to start one kind of server and tell when it is ready. */
export interface ServerRecipe {
  /** Executable name or path. */
  readonly binary: string;
  /** Prefix of the temporary data directory. */
  readonly dirPrefix: string;
  /** Command-line arguments for a port and a data directory. */
  args(port: number, dir: string): string[];
  /** A line the server prints (on stdout or stderr) once it takes clients. */
  readonly ready: RegExp;
  /** How long to wait for {@link ready}, in ms. */
  readonly readyWithinMs: number;
}

/**
 * Starts a private server from `recipe` on a free loopback port with a
 * temporary data directory, so the shared servers are never touched; the
 * directory survives {@link PrivateServer.kill} and
 * {@link PrivateServer.restart}, as a real deployment's disk would.
 */
export async function startPrivateServer(recipe: ServerRecipe): Promise<PrivateServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), recipe.dirPrefix));
  const args = recipe.args(port, dir);
  let child: ChildProcess | undefined = await launchUntilReady(recipe, args);
  let removed = false;
  const kill = async () => {
    const c = child;
    child = undefined;
    if (c) await killChild(c);
  };
  return {
    port,
    kill,
    async restart() {
      await kill();
      child = await launchUntilReady(recipe, args);
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

/** SIGKILLs `child` (unless it has already ended) and waits until it is gone. */
export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/** Spawns the server and waits for its ready line on either stream. */
function launchUntilReady(recipe: ServerRecipe, args: readonly string[]): Promise<ChildProcess> {
  const name = recipe.binary.split('/').pop();
  return new Promise((resolve, reject) => {
    const child = spawn(recipe.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`${name} did not become ready within ${recipe.readyWithinMs / 1000}s:\n${output}`)), recipe.readyWithinMs);
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (settled || !recipe.ready.test(output)) return;
      settled = true;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      // Keep draining both pipes so a chatty server never blocks on a full pipe.
      child.stdout!.resume();
      child.stderr!.resume();
      resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
