import { startPrivateServer } from './private-server.ts';

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Append-only file with `appendfsync always`: every acknowledged write survives a kill. @default false */
  readonly aof?: boolean;
}

/**
 * A private `redis-server` for tests that restart or kill Redis: its own
 * free loopback port and temporary directory, so the shared server on 6379
 * is never touched. No RDB snapshots: without AOF a restart comes back
 * empty.
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Kills the server (SIGKILL: no shutdown save, like a crash) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory; resolves when it accepts commands. */
  restart(): Promise<void>;
  /** Kills it and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Starts a private Redis; resolves once it is ready to accept connections. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const persistence = options.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const server = await startPrivateServer({
    binary: 'redis-server',
    dirPrefix: 'actorq-redis-',
    args: (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--logfile', '', ...persistence],
    ready: /Ready to accept connections/,
    readyWithinMs: 10_000,
  });
  return { ...server, url: `redis://127.0.0.1:${server.port}` };
}
