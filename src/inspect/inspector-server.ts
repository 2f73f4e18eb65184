import http from 'node:http';
import type { InspectionEvent, Observer } from 'xstate';
import { sanitizePayloads } from './sanitize-inspection.ts';

/** A local Stately inspector bridge. See {@link startInspector}. */
export interface LocalInspector {
  /** The page to open in a browser. */
  readonly url: string;
  /** The XState inspection observer to hand to `createRuntime({ inspect })`. */
  readonly inspect: Observer<InspectionEvent>;
  /** Stops the bridge and the runtime's connection to it. */
  stop(): void;
}

/** Options of {@link startInspector}. */
export interface StartInspectorOptions {
  /** @default 5678 (a fixed port: the inspector page embeds it) */
  readonly port?: number;
  /** Show message content in the inspector. @default false */
  readonly payloads?: boolean;
}

/**
 * Starts `@statelyai/inspect`'s server (a page embedding the Stately
 * inspector plus a WebSocket bridge) on loopback, and a WebSocket
 * inspector connected to it whose observer goes to `createRuntime({ inspect })`.
 *
 * `createInspectorServer` takes no host and would listen on every
 * interface; an inspector shows the inside of the process, so it is bound
 * to 127.0.0.1 by catching its `listen` call for the duration of the
 * (synchronous) constructor.
 *
 * @example
 * ```ts
 * const inspector = await startInspector({ port: 5678 })
 * const runtime = createRuntime({ files: ['config/'], inspect: inspector.inspect })
 * console.log(`open ${inspector.url}`)
 * ```
 */
export async function startInspector(options: StartInspectorOptions = {}): Promise<LocalInspector> {
  const { createInspectorServer } = await import('@statelyai/inspect/server');
  const { createWebSocketInspector } = await import('@statelyai/inspect');
  let captured: http.Server | undefined;
  const listen = http.Server.prototype.listen;
  http.Server.prototype.listen = function (this: http.Server, ...args: unknown[]) {
    captured = this;
    const [port, ...rest] = args;
    const callback = rest.find((a) => typeof a === 'function');
    return (listen as (...a: unknown[]) => http.Server).call(this, port, '127.0.0.1', callback);
  } as typeof listen;
  let server: { stop(): void };
  try {
    server = createInspectorServer({ port: options.port ?? 5678, autoOpen: false });
  } finally {
    http.Server.prototype.listen = listen;
  }
  const httpServer = captured!;
  await new Promise<void>((resolve, reject) => {
    if (httpServer.listening) return resolve();
    httpServer.once('listening', resolve);
    httpServer.once('error', reject);
  }).catch((error: unknown) => {
    server.stop();
    throw error;
  });
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 5678);
  const sanitize = options.payloads ? {} : { sanitizeEvent: (e: object) => sanitizePayloads(e) as never, sanitizeContext: (c: object) => sanitizePayloads(c) as never };
  const client = createWebSocketInspector({ url: `ws://127.0.0.1:${port}`, ...sanitize });
  return {
    url: `http://127.0.0.1:${port}`,
    inspect: client.inspect,
    stop() {
      client.stop();
      server.stop();
    },
  };
}
