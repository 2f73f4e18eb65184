import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { InspectionEvent, Observer } from 'xstate';
import { WebSocketServer, WebSocket } from 'ws';
import { ActorqError } from '../errors/actorq-error.ts';
import { bridgeAccess, newToken } from './bridge-access.ts';
import { bridgePage } from './bridge-page.ts';
import { createInspectionFeed, type InspectionFeed } from './inspection-feed.ts';
import type { ReplayLimits } from './replay-buffer.ts';
import type { MessageActivity } from './message-activity.ts';

/** A local Stately inspector bridge. See {@link startInspector}. */
export interface LocalInspector {
  /** The page to open in a browser, token included. */
  readonly url: string;
  /** The WebSocket URL (token included) for other clients. */
  readonly wsUrl: string;
  /** The random token every request must carry (`?token=`). */
  readonly token: string;
  /** The XState inspection observer to hand to `createRuntime({ inspect })`. */
  readonly inspect: Observer<InspectionEvent>;
  /**
   * Shows one sampled message step on its consumer: pass it to
   * `messageActivityKinds(kinds, inspector.activity)` to watch deliveries.
   */
  readonly activity: (activity: MessageActivity) => void;
  /** Clients connected now. */
  readonly clients: number;
  /**
   * Sends what is still held back, closes every client (after what was
   * sent to it), then the server. Resolves when all are closed, within
   * `closeTimeoutMs`; safe to call twice.
   */
  stop(): Promise<void>;
}

/** Bounds of the bridge; see docs/observability.md. */
export interface InspectorLimits extends ReplayLimits {
  /** Clients at once; more get 503. @default 8 */
  readonly maxClients: number;
  /** Largest message a client may send (the bridge reads none); past it the client is cut (1009). @default 4096 */
  readonly maxClientMessageBytes: number;
  /** Bytes queued to one client before it is dropped as too slow. @default 32 MiB */
  readonly maxClientBufferedBytes: number;
  /** How long `stop()` waits for clients to acknowledge the close. @default 1000 */
  readonly closeTimeoutMs: number;
}

const DEFAULT_LIMITS = { maxClients: 8, maxClientMessageBytes: 4096, maxClientBufferedBytes: 32 * 1024 * 1024, closeTimeoutMs: 1000 };

/** Options of {@link startInspector}. */
export interface StartInspectorOptions {
  /** Port on 127.0.0.1; 0 picks a free one. @default 5678 */
  readonly port?: number;
  /** Show message content in the inspector (ignored when `feed` is given). @default false */
  readonly payloads?: boolean;
  /** Browser origins allowed besides the bridge's own page (`--inspect-origin`). @default [] */
  readonly origins?: readonly string[];
  /** An existing feed, already attached to a runtime. @default a new one */
  readonly feed?: InspectionFeed;
  /** Bounds; unset fields keep their defaults. */
  readonly limits?: Partial<InspectorLimits>;
  /** The Stately inspector UI the page embeds. @default 'https://stately.ai/inspect' */
  readonly inspectorUi?: string;
}

/**
 * Starts the inspector bridge on 127.0.0.1: an HTTP page embedding the
 * Stately inspector and a WebSocket that streams the runtime's actors to
 * it. Every request needs the token in its URL, a loopback `Host` and, from
 * a browser, an allowed `Origin` (`bridge-access.ts`). Clients only
 * receive: what they send is never read, stored or passed on, and a
 * message over `maxClientMessageBytes` ends the connection. A client
 * connecting late first gets every actor's registration and latest
 * snapshot, then the recent history (`replay-buffer.ts`).
 *
 * @example
 * ```ts
 * const inspector = await startInspector({ port: 5678 })
 * const runtime = createRuntime({ files: ['config/'], inspect: inspector.inspect })
 * console.log(`open ${inspector.url}`)
 * // ... later, after runtime.stop():
 * await inspector.stop()
 * ```
 */
export async function startInspector(options: StartInspectorOptions = {}): Promise<LocalInspector> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const feed = options.feed ?? createInspectionFeed({ payloads: options.payloads, limits });
  const token = newToken();
  const clients = new Set<WebSocket>();
  let access: ReturnType<typeof bridgeAccess> | undefined;
  let page: ReturnType<typeof bridgePage> | undefined;

  const server = http.createServer((req, res) => {
    const refusal = access!.check(req);
    if (refusal) return void res.writeHead(refusal.status, { 'content-type': 'text/plain' }).end(`${refusal.reason}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/') return void res.writeHead(404).end();
    res.writeHead(200, page!.headers).end(req.method === 'HEAD' ? undefined : page!.html);
  });
  // Clients never need to send anything; a small cap refuses large frames
  // before they are buffered, and no compression means no inflation bombs.
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxClientMessageBytes, perMessageDeflate: false, clientTracking: false });
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const refusal = access!.check(req) ?? (clients.size >= limits.maxClients ? { status: 503, reason: 'too many inspector clients' } : undefined);
    if (refusal) return refuse(socket, refusal.status, refusal.reason);
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  const attach = (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => ws.terminate());
    ws.on('message', () => {
      // Intentionally ignored: the bridge is one-way. Nothing a client
      // sends is kept or reaches another client.
    });
    feed.flush();
    for (const json of feed.replay()) ws.send(json);
  };
  const unsubscribe = feed.subscribe((json) => {
    for (const ws of clients) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      // A client that cannot keep up is dropped rather than buffered without end.
      if (ws.bufferedAmount > limits.maxClientBufferedBytes) ws.terminate();
      else ws.send(json);
    }
  });

  const requested = options.port ?? 5678;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requested, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    unsubscribe();
    const why = error.code === 'EADDRINUSE' ? 'is in use (choose another with --inspect-port)' : `cannot be opened: ${error.message}`;
    throw new ActorqError('START_FAILED', `inspector: port ${requested} on 127.0.0.1 ${why}`, { cause: error });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : requested;
  access = bridgeAccess({ port, token, origins: options.origins ?? [] });
  page = bridgePage({ port, token, inspectorUi: options.inspectorUi });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      feed.flush();
      unsubscribe();
      await Promise.all([...clients].map((ws) => closeClient(ws, limits.closeTimeoutMs)));
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })());

  const query = `?token=${encodeURIComponent(token)}`;
  return {
    url: `http://127.0.0.1:${port}/${query}`,
    wsUrl: `ws://127.0.0.1:${port}/${query}`,
    token,
    inspect: feed.inspect,
    activity: (activity) => feed.activity(activity),
    get clients() {
      return clients.size;
    },
    stop,
  };
}

/** Writes a plain HTTP refusal on an upgrade socket and closes it. */
function refuse(socket: Duplex, status: number, reason: string): void {
  const text = http.STATUS_CODES[status] ?? 'Refused';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(reason) + 1}\r\n\r\n${reason}\n`);
}

/** Closes one client after what was queued to it; cuts it if it does not answer in time. */
function closeClient(ws: WebSocket, timeoutMs: number): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => ws.terminate(), timeoutMs);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(1001, 'actorq stopped');
  });
}
