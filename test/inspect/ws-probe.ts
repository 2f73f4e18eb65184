import { WebSocket } from 'ws';

/** What a test WebSocket client saw. */
export interface Probe {
  readonly socket: WebSocket;
  /** Parsed messages, in arrival order. */
  readonly messages: Record<string, unknown>[];
  /** Resolves when the handshake succeeded, rejects with the refusal status otherwise. */
  readonly opened: Promise<void>;
  /** Resolves with the close code and reason (or the refusal status as code). */
  readonly closed: Promise<{ code: number; reason: string }>;
}

/**
 * A WebSocket client for the bridge tests: records every message, reports
 * an HTTP refusal of the handshake as `opened` rejecting with the status.
 */
export function probe(url: string, options: { origin?: string; host?: string } = {}): Probe {
  const headers: Record<string, string> = {};
  if (options.host) headers['host'] = options.host;
  const socket = new WebSocket(url, { origin: options.origin, headers, maxPayload: 64 * 1024 * 1024 });
  const messages: Record<string, unknown>[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
  let refusedWith: number | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => {
      refusedWith = res.statusCode;
      reject(Object.assign(new Error(`refused ${res.statusCode}`), { status: res.statusCode }));
      socket.terminate();
    });
    socket.once('error', (e) => reject(e));
  });
  opened.catch(() => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.once('close', (code, reason) => resolve({ code: refusedWith ?? code, reason: String(reason) }));
  });
  return { socket, messages, opened, closed };
}

/** The status a refused handshake got (or 'open' when it was accepted). */
export async function handshake(url: string, options: { origin?: string; host?: string } = {}): Promise<number | 'open'> {
  const p = probe(url, options);
  try {
    await p.opened;
    p.socket.close();
    return 'open';
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

/** Replays `@xstate.actor`/`@xstate.snapshot` records into a tree: session -> { name, parent, value, status }. */
export function buildTree(messages: readonly Record<string, unknown>[]): Map<string, { name: string; parentId?: string; value?: unknown; status?: string }> {
  const tree = new Map<string, { name: string; parentId?: string; value?: unknown; status?: string }>();
  for (const m of messages) {
    const snapshot = m['snapshot'] as { value?: unknown; status?: string } | undefined;
    if (m['type'] === '@xstate.actor') tree.set(m['sessionId'] as string, { name: m['name'] as string, parentId: m['parentId'] as string | undefined, value: snapshot?.value, status: snapshot?.status });
    if (m['type'] === '@xstate.snapshot') {
      const node = tree.get(m['sessionId'] as string);
      if (node) Object.assign(node, { value: snapshot?.value, status: snapshot?.status });
    }
  }
  return tree;
}

/** The entry of `tree` named `name`. */
export const byName = (tree: ReturnType<typeof buildTree>, name: string) => [...tree.values()].find((n) => n.name === name);
