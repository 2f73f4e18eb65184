import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FunctionEntry } from '../../src/config/entry-types.ts';
import type { HandlerContext, MessageHandle } from '../../src/functions/handler.ts';
import { AlreadySettledError, MessageReleasedError } from '../../src/errors/message-errors.ts';
import { loadLuaFunction, type LoadedLuaFunction } from '../../src/functions/lua/lua-function.ts';
import type { Logger } from '../../src/util/logger.ts';

/** One recorded log line. */
export interface LogLine {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** A logger that records lines. */
export function recordingLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(fields ? { level, message, fields } : { level, message });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A HandlerContext whose message handle follows the contract (settle once, released after `release()`). */
export interface FakeContext extends HandlerContext {
  readonly logs: LogLine[];
  readonly published: { queueId: string; body: unknown; headers?: Readonly<Record<string, unknown>> }[];
  settled?: 'acked' | 'nacked';
  release(): void;
  abort(): void;
}

/** Options for {@link fakeContext}. */
export interface FakeContextOptions {
  id?: string;
  headers?: Record<string, string | number | boolean>;
  /** Replaces the default publish, which records and resolves. */
  publish?: HandlerContext['publish'];
}

/** Builds a fake context for one message. */
export function fakeContext(options: FakeContextOptions = {}): FakeContext {
  const id = options.id ?? 'msg-1';
  const headers = options.headers ?? { timestamp: 1 };
  const controller = new AbortController();
  let released = false;
  const ctx: FakeContext = {
    logs: [],
    published: [],
    consumerId: 'app.test:consumer',
    actor: undefined,
    can: () => true,
    signal: controller.signal,
    logger: undefined as unknown as Logger,
    message: undefined as unknown as MessageHandle,
    release: () => {
      released = true;
    },
    abort: () => controller.abort(),
    publish:
      options.publish ??
      (async (queueId, body, opts) => {
        if (queueId === 'app.test:missing') throw new Error(`queue not found: ${queueId}`);
        ctx.published.push({ queueId, body, ...(opts?.headers ? { headers: opts.headers } : {}) });
      }),
    info: async (queueId) => {
      if (queueId === 'app.test:missing') throw new Error(`queue not found: ${queueId}`);
      return { message_count: 3, ready: 2, in_flight: 1, consumer_count: 1 };
    },
  };
  const settle = (how: 'acked' | 'nacked') => {
    if (released) throw new MessageReleasedError(id);
    if (ctx.settled) throw new AlreadySettledError(id, ctx.settled);
    ctx.settled = how;
  };
  (ctx as { message: MessageHandle }).message = {
    id,
    headers,
    header: (k) => (released ? undefined : headers[k]),
    ack: () => settle('acked'),
    nack: () => settle('nacked'),
  };
  (ctx as { logger: Logger }).logger = recordingLogger(ctx.logs);
  return ctx;
}

/**
 * Writes Lua files into a fresh directory and loads a function entry
 * from them. `files` maps names to code; `source` defaults to `handler.lua`.
 */
export async function loadLua(
  files: Record<string, string>,
  options: Record<string, unknown> = {},
  logger: Logger = recordingLogger(),
): Promise<LoadedLuaFunction> {
  const dir = mkdtempSync(join(tmpdir(), 'actorq-lua-'));
  for (const [name, code] of Object.entries(files)) writeFileSync(join(dir, name), code);
  const entry: FunctionEntry = {
    id: 'app.test:handler',
    namespace: 'app.test',
    name: 'handler',
    kind: 'function.lua',
    meta: {},
    file: join(dir, 'test.yaml'),
    line: 3,
    base_dir: dir,
    options: { source: 'file://handler.lua', ...options },
  };
  try {
    return await loadLuaFunction(entry, { logger });
  } finally {
    // Loading read every file (the isolates get the text): the directory is no longer needed.
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the handler and reports `ack` with its value or `nack` with the error. */
export async function outcome(fn: LoadedLuaFunction, body: unknown, ctx: FakeContext = fakeContext()) {
  try {
    const value = await fn.handler(body, ctx);
    return { acked: true as const, value, ctx };
  } catch (error) {
    return { acked: false as const, error: error as Error, ctx };
  } finally {
    ctx.release();
  }
}
