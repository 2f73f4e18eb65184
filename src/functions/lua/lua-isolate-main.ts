/**
 * The inside of a Lua isolate: a worker thread that owns one function's
 * Lua states (a {@link LuaStatePool} on its own WebAssembly heap) and runs
 * the calls the main thread sends (see lua-isolate.ts for the other side,
 * lua-protocol.ts for the messages).
 *
 * Everything a call does that concerns the runtime (log lines, publish,
 * info, early settles) goes back as an operation; everything the main
 * thread sends (new calls, stops, answers) arrives in batches. Operations
 * produced while handling one message leave together when it is handled;
 * those produced later (a call resumed after a publish, a long script
 * between time slices) leave at the end of that turn.
 *
 * This thread may be terminated at any moment (a call past its limit, a
 * stop): nothing here needs cleaning up, and the main thread learns from
 * the shared progress array which calls had started.
 * @internal
 */
import { parentPort } from 'node:worker_threads';
import { ConfigError } from '../../errors/config-error.ts';
import type { Headers } from '../../message/message.ts';
import type { Logger } from '../../util/logger.ts';
import { capWasmMemory, takeLimitReached } from './lua-memory-cap.ts';
import { LuaStatePool } from './lua-pool.ts';
import { CALL_STRIDE, DoneKind, Op, type IsolateInit, type ToIsolate } from './lua-protocol.ts';
import { RemoteCall, type RemoteCallHost } from './lua-remote-call.ts';
import { jsonExact } from './lua-raw-support.ts';
import type { LuaOutcome } from './lua-state.ts';
import { cloneable } from './lua-cloneable.ts';

const port = parentPort!;
const NO_HEADERS: Readonly<Headers> = Object.freeze({});
let pool: LuaStatePool | undefined;
let progress: Int32Array | undefined;
const calls = new Map<number, RemoteCall>();
const requests = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let lastRequest = 0;
let outbox: unknown[] = [];
let flushScheduled = false;
/** While a message is handled its end flushes; no separate turn is needed. */
let handling = false;

const host: RemoteCallHost = {
  push(op, a, b, c, d, e) {
    // Publish data and settle reasons come through wasmoon's conversion: anything may be in them.
    if (op === Op.publish || op === Op.settle || op === Op.can) jsonExact.value = false;
    if (op === Op.publish || op === Op.can) outbox.push(op, a, b, c, d, e);
    else if (op === Op.log) outbox.push(op, a, b, c, d);
    else outbox.push(op, a, b, c);
    schedule();
  },
  request(op, callId, queueId, data, headers) {
    const id = ++lastRequest;
    if (op === Op.publish || op === Op.can) this.push(op, callId, id, queueId, data, headers);
    else this.push(op, callId, id, queueId);
    return new Promise((resolve, reject) => requests.set(id, { resolve, reject }));
  },
};

/** Log lines written while the files load (no call): the function's own logger on the main thread. */
const loadLogger: Logger = {
  debug: (m, f) => host.push(Op.log, 0, 'debug', m, f),
  info: (m, f) => host.push(Op.log, 0, 'info', m, f),
  warn: (m, f) => host.push(Op.log, 0, 'warn', m, f),
  error: (m, f) => host.push(Op.log, 0, 'error', m, f),
};

port.on('message', (data: ToIsolate | string) => {
  // A batch of calls comes as JSON text (see lua-isolate.ts), anything else as an object.
  const message: ToIsolate = typeof data === 'string' ? { calls: JSON.parse(data) as unknown[] } : data;
  handling = true;
  try {
    if (message.init) void init(message.init);
    if (message.replies) answer(message.replies);
    if (message.stops) for (const id of message.stops) calls.get(id)?.abort();
    if (message.calls) start(message.calls);
  } finally {
    handling = false;
    flush();
  }
});
port.postMessage({ type: 'booted' });

async function init(data: IsolateInit): Promise<void> {
  capWasmMemory(data.memoryLimit);
  progress = new Int32Array(data.progress);
  try {
    pool = await LuaStatePool.create({ ...data.spec, loadLogger });
    // Marked as the call enters a state, not on arrival: a call queued behind a stuck one has not started.
    const started = progress;
    pool.onCallStart = (ctx) => Atomics.store(started, ctx.slot, 1);
    flush();
    port.postMessage({ type: 'ready' });
  } catch (e) {
    flush();
    const failure = e instanceof ConfigError ? { issues: e.issues, message: e.message } : { message: e instanceof Error ? e.message : String(e) };
    port.postMessage({ type: 'failed', ...failure });
  }
}

function start(batch: unknown[]): void {
  for (let i = 0; i < batch.length; i += CALL_STRIDE) {
    const id = batch[i] as number;
    // Without the queue module the message's ID and headers do not come (nothing could read them).
    const ctx = new RemoteCall(
      host,
      id,
      batch[i + 1] as number,
      (batch[i + 3] as string | undefined) ?? '',
      (batch[i + 4] as Readonly<Headers> | undefined) ?? NO_HEADERS,
      batch[i + 6] as number,
    );
    calls.set(id, ctx);
    let outcome: LuaOutcome | Promise<LuaOutcome>;
    try {
      outcome = pool!.run(batch[i + 5], ctx, (batch[i + 2] as number) || Infinity);
    } catch (e) {
      outcome = Promise.reject(e);
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (o) => done(id, o),
        (e: unknown) => done(id, { kind: 'raised', error: e instanceof Error ? e.message : String(e) }),
      );
    } else {
      done(id, outcome);
    }
  }
}

function done(id: number, outcome: LuaOutcome): void {
  calls.delete(id);
  const hitLimit = takeLimitReached();
  switch (outcome.kind) {
    case 'ack':
      outbox.push(Op.done, id, DoneKind.ack, outcome.value);
      break;
    case 'nack':
      outbox.push(Op.done, id, DoneKind.nack, outcome.error);
      break;
    case 'raised':
      // A memory error that a script caught and raised again is still the limit.
      if (hitLimit && typeof outcome.error === 'string' && outcome.error.endsWith('not enough memory')) {
        outbox.push(Op.done, id, DoneKind.memory, outcome.error);
      } else {
        outbox.push(Op.done, id, DoneKind.raised, outcome.error);
      }
      break;
    case 'stopped':
      outbox.push(Op.done, id, outcome.reason === 'timeout' ? DoneKind.timeout : DoneKind.signal, undefined);
      break;
    case 'memory':
      outbox.push(Op.done, id, DoneKind.memory, outcome.error);
      break;
  }
  // Whoever filled the heap, this isolate is now near its limit: ask for a fresh one.
  if (hitLimit || outcome.kind === 'memory') outbox.push(Op.memory, 0, 0, 0);
  schedule();
}

function answer(replies: unknown[]): void {
  for (let i = 0; i < replies.length; i += 3) {
    const request = requests.get(replies[i] as number);
    if (!request) continue;
    requests.delete(replies[i] as number);
    if (replies[i + 1]) request.resolve(replies[i + 2]);
    else request.reject(new Error(replies[i + 2] as string));
  }
}

function schedule(): void {
  if (flushScheduled || handling) return;
  flushScheduled = true;
  setImmediate(flush);
}

/** Sends what the calls said since the last flush, as one message. */
function flush(): void {
  flushScheduled = false;
  if (outbox.length === 0) return;
  const ops = outbox;
  outbox = [];
  const exact = jsonExact.value;
  jsonExact.value = true;
  try {
    // Plain data goes as JSON text (cheaper to send and to read than
    // structured clone); otherwise structured clone keeps what JSON would
    // change: one object reached twice, NaN, a cycle.
    if (exact) port.postMessage(JSON.stringify(ops));
    else port.postMessage({ type: 'ops', ops });
  } catch {
    // A value structured clone refuses (a Lua function in a result or a log
    // field): send the same operations with such values described instead.
    port.postMessage({ type: 'ops', ops: ops.map((v) => cloneable(v)) });
  }
}
