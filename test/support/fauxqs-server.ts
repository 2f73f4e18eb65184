import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { killChild } from './private-server.ts';

/**
 * A private SQS server for tests: the `fauxqs` emulator (a devDependency,
 * pinned to 1.9.2, which runs on Node 20) in a child process of its own on
 * a free loopback port. It listens on every interface internally; tests
 * always address it as `http://127.0.0.1:<port>`. Its state is in memory,
 * so a restart comes back empty. Tests start it themselves: CI needs
 * nothing beyond `npm ci`.
 */
export interface FauxqsServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Kills it (SIGKILL) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty); resolves when it listens. */
  restart(): Promise<void>;
  /** Kills it. Idempotent. */
  stop(): Promise<void>;
}

/** The repository root, where node_modules/fauxqs lives. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Starts fauxqs, printing its port once it listens; the parent's stdin closing ends it too. */
const LAUNCH = `
const { startFauxqs } = await import('fauxqs');
const server = await startFauxqs({ port: Number(process.argv[1]), logger: false });
process.stdout.write('listening ' + server.port + '\\n');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/** Starts a private fauxqs; resolves once it accepts requests. */
export async function startFauxqs(): Promise<FauxqsServer> {
  let { child, port } = await launch(0);
  const kill = () => killChild(child);
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    kill,
    async restart() {
      await kill();
      ({ child, port } = await launch(port));
    },
    stop: kill,
  };
}

function launch(port: number): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', LAUNCH, String(port)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`fauxqs did not start within 20s:\n${output}`)), 20_000);
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    child.stderr!.on('data', (d) => (output += String(d)));
    child.once('exit', (code) => fail(new Error(`fauxqs exited (${code}) before listening:\n${output}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^listening (\d+)$/.exec(line);
      if (!m || settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ child, port: Number(m[1]) });
    });
  });
}
