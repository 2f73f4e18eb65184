import type { ConfigIssue } from '../../errors/config-error.ts';
import { LOG_LEVELS, type Logger, type LogLevel } from '../../util/logger.ts';
import type { LuaStateSpec } from './lua-state.ts';

/*
 * What the main thread and a Lua isolate (a worker thread, see
 * lua-isolate.ts and lua-isolate-main.ts) say to each other.
 *
 * Both directions are batched: everything one side has to say in one
 * event-loop turn goes in one postMessage (the main thread sends sooner
 * once as many calls as just ended were made again, see lua-isolate.ts).
 * One round trip costs tens of microseconds whatever it carries, so a
 * message per call would cap a function at a few ten thousand calls a
 * second; per batch it is paid once for every call the consumers started
 * in that turn.
 *
 * Calls and operations are flat arrays with a fixed stride rather than
 * an object each: structured clone writes every key of every object, and
 * this is the per-message path.
 * @internal
 */

/**
 * A call as the isolate gets it: `[id, slot, deadline, messageId, headers,
 * body, logLevels]` in {@link ToIsolate.calls}; deadline 0 for none,
 * message ID and headers null unless the function lists the queue module,
 * logLevels from {@link logLevelMask}. A batch of calls alone travels as
 * its JSON text.
 */
export const CALL_STRIDE = 7;

/** Every level written: a logger that does not say. */
export const ALL_LOG_LEVELS = 0b1111;

/**
 * The levels `logger` writes, one bit each in {@link LOG_LEVELS} order,
 * read when the call is sent: the isolate drops the lines of the other
 * levels before their fields leave Lua, since the main thread would drop
 * them anyway (with the default `warn` logger, every `logger.info`).
 * @internal
 */
export function logLevelMask(logger: Logger): number {
  if (logger.enabled === undefined) return ALL_LOG_LEVELS;
  let mask = 0;
  for (let i = 0; i < LOG_LEVELS.length; i++) if (logger.enabled(LOG_LEVELS[i]!)) mask |= 1 << i;
  return mask;
}

/** Whether `mask` (see {@link logLevelMask}) has `level`. @internal */
export function maskHas(mask: number, level: LogLevel): boolean {
  return (mask & (1 << LOG_LEVELS.indexOf(level))) !== 0;
}

/** Operations an isolate sends, each followed by a fixed number of values. @internal */
export const Op = {
  /** `callId, kind, value`: a call ended (see {@link DoneKind}). */
  done: 1,
  /** `callId, level, message, fields`: a log line (callId 0 while the files load). */
  log: 2,
  /** `callId, requestId, queueId, data, headers`: `queue.publish`. */
  publish: 3,
  /** `callId, requestId, queueId`: `queue.info`. */
  info: 4,
  /** `callId, ack, reason`: `msg:ack()` / `msg:nack()`. */
  settle: 5,
  /** `0, 0, 0`: the Lua heap reached `memory_limit`; replace this isolate. */
  memory: 6,
  /** `callId, requestId, action, resource, meta`: `security.can`. */
  can: 7,
  /** `callId, requestId, ""`: `security.actor`. */
  actor: 8,
} as const;

/** Values after each op code, by op code. @internal */
export const OP_ARITY: readonly number[] = [0, 3, 4, 5, 3, 3, 3, 5, 3];

/** How a call ended, in an {@link Op.done}. @internal */
export const DoneKind = {
  ack: 0,
  nack: 1,
  raised: 2,
  timeout: 3,
  signal: 4,
  /** The Lua heap reached `memory_limit` during the call ("not enough memory"). */
  memory: 5,
  // Decided on the main thread, never sent by an isolate:
  /** The isolate was terminated or crashed after the call had started. */
  lost: 6,
  /** The function was closed while the call ran. */
  closed: 7,
} as const;

/** Main thread to isolate. Absent fields mean "nothing of that". @internal */
export interface ToIsolate {
  /** Load the function (first message). */
  readonly init?: IsolateInit;
  /** New calls, {@link CALL_STRIDE} values each. */
  readonly calls?: unknown[];
  /** IDs of calls to stop (their signal aborted). */
  readonly stops?: number[];
  /** Answers to publish/info/can/actor: `requestId, ok, value` each (value: the result, or the error text). */
  readonly replies?: unknown[];
}

/** Everything an isolate needs to load the function. @internal */
export interface IsolateInit {
  readonly spec: Omit<LuaStateSpec, 'loadLogger'>;
  /** Largest Lua heap (WebAssembly memory) in bytes. */
  readonly memoryLimit: number;
  /** One Int32 per call slot: the isolate sets a slot to 1 when its call starts. */
  readonly progress: SharedArrayBuffer;
}

/** Isolate to main thread. @internal */
export type FromIsolate =
  /** The worker's modules are loaded; `init` may be timed from now. */
  | { readonly type: 'booted' }
  /** The function loaded. */
  | { readonly type: 'ready' }
  /** Loading failed: a configuration problem (issues) or another error (message). */
  | { readonly type: 'failed'; readonly issues?: readonly ConfigIssue[]; readonly message: string }
  /** Operations, {@link Op} codes each followed by their values (or the same array as JSON text, for plain data). */
  | { readonly type: 'ops'; readonly ops: unknown[] };
