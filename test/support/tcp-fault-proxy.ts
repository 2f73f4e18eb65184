import { createServer, connect, type Server, type Socket } from 'node:net';

/** Where a {@link TcpFaultProxy} forwards to. @default 127.0.0.1:5672 (the test RabbitMQ) */
export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * A TCP forwarder on a free loopback port in front of a shared server, so a
 * test can break the network between its own client and the server
 * without touching the server or anyone else's connections:
 *
 * - {@link cut}: drop every connection now (the client may reconnect at once);
 * - {@link down} / {@link up}: drop them and refuse new ones, then accept again
 *   (on the same port);
 * - {@link pause} / {@link resume}: stop moving bytes while keeping the sockets
 *   open (a stalled network: only heartbeats can tell), then carry on.
 *
 * @example
 * ```ts
 * const proxy = await TcpFaultProxy.start()
 * const url = `amqp://guest:guest@127.0.0.1:${proxy.port}/`
 * proxy.cut()
 * await proxy.close()
 * ```
 */
export class TcpFaultProxy {
  readonly #target: ProxyTarget;
  /** Client-side sockets, each with its upstream socket. */
  readonly #pairs = new Map<Socket, Socket>();
  #server: Server | undefined;
  #paused = false;
  /** The loopback port clients connect to; fixed for the proxy's life. */
  port = 0;
  /** Connections accepted so far (a reconnect shows up as one more). */
  accepted = 0;

  private constructor(target: ProxyTarget) {
    this.#target = target;
  }

  /** Listens on a free loopback port, forwarding to `target`. */
  static async start(target: ProxyTarget = { host: '127.0.0.1', port: 5672 }): Promise<TcpFaultProxy> {
    const proxy = new TcpFaultProxy(target);
    await proxy.up();
    return proxy;
  }

  /** Connections open right now. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Accepts connections again after {@link down} (no-op while listening). */
  async up(): Promise<void> {
    if (this.#server) return;
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Drops every open connection (both sides see a reset); new ones are still accepted. Returns how many were dropped. */
  cut(): number {
    const n = this.#pairs.size;
    for (const [client, upstream] of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.#pairs.clear();
    return n;
  }

  /** Drops every connection and refuses new ones until {@link up}. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.cut();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stops forwarding in both directions; sockets stay open and bytes wait (TCP back-pressure). */
  pause(): void {
    this.#paused = true;
    for (const [client, upstream] of this.#pairs) {
      client.pause();
      upstream.pause();
    }
  }

  /** Forwards again whatever waited, and everything after. */
  resume(): void {
    this.#paused = false;
    for (const [client, upstream] of this.#pairs) {
      client.resume();
      upstream.resume();
    }
  }

  /** Stops for good: every connection dropped, the port released. */
  async close(): Promise<void> {
    this.resume();
    await this.down();
  }

  #accept(client: Socket): void {
    this.accepted++;
    const upstream = connect(this.#target);
    this.#pairs.set(client, upstream);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      // A reset is the point of this class; an unheard 'error' would crash the test process.
      s.on('error', () => undefined);
    }
    const forget = () => {
      this.#pairs.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', forget);
    upstream.on('close', forget);
    this.#forward(client, upstream);
    this.#forward(upstream, client);
    if (this.#paused) {
      client.pause();
      upstream.pause();
    }
  }

  /** Copies `from` into `to` by hand (not `pipe`, which would resume a paused source on 'drain'). */
  #forward(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (to.write(chunk)) return;
      from.pause();
      to.once('drain', () => {
        if (!this.#paused) from.resume();
      });
    });
  }
}
