import { startPrivateServer } from './private-server.ts';

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
  const server = await startPrivateServer({
    binary: BINARY,
    dirPrefix: 'actorq-nats-',
    args: (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, ...(options.args ?? [])],
    ready: /Server is ready/,
    readyWithinMs: 20_000,
  });
  return { ...server, url: `nats://127.0.0.1:${server.port}` };
}
