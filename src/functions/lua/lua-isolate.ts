import { Worker } from 'node:worker_threads';
import { ConfigError } from '../../errors/config-error.ts';
import type { FunctionEntry } from '../../config/entry-types.ts';
import { cloneable } from './lua-cloneable.ts';
import type { PendingCall } from './lua-pending-call.ts';
import { CALL_STRIDE, logLevelMask, type FromIsolate, type IsolateInit, type ToIsolate } from './lua-protocol.ts';

/** Calls one isolate may hold at once (its progress array has one slot each). */
export const ISOLATE_SLOTS = 4096;

/** What an isolate reports to whoever owns it. @internal */
export interface IsolateOwner {
  /** Operations from the worker (see lua-protocol.ts). */
  onOps(isolate: LuaIsolate, ops: unknown[]): void;
  /** The worker ended without being asked to (crash, JavaScript heap limit). */
  onLost(isolate: LuaIsolate, error: Error): void;
}

/** How to start an isolate. @internal */
export interface IsolateOptions {
  readonly entry: FunctionEntry;
  readonly init: Omit<IsolateInit, 'progress'>;
  /** Longest the files may take to load once the worker runs. */
  readonly loadLimitMs: number;
  readonly owner: IsolateOwner;
}

const MiB = 2 ** 20;
const entryUrl = new URL('./lua-isolate-entry.mjs', import.meta.url);

/**
 * One worker thread running one function's Lua (see lua-isolate-main.ts),
 * seen from the main thread: it sends calls, stops and answers in one
 * message per turn, keeps the calls it holds, and can be terminated at any
 * moment, whatever the Lua inside is doing; that is what makes a limit
 * hard. The worker is referenced (keeps the process alive) only while it
 * holds calls or loads.
 * @internal
 */
export class LuaIsolate {
  /** Calls sent and not yet ended, by ID. */
  readonly calls = new Map<number, PendingCall>();
  /** `progress[slot]` is 1 once the worker started the call in that slot. */
  readonly progress = new Int32Array(new SharedArrayBuffer(ISOLATE_SLOTS * 4));
  /** No new calls: it is being replaced (memory limit) or was terminated. */
  retiring = false;
  /** Messages that carried calls to the worker (for tests and figures). */
  batchesSent = 0;
  readonly #worker: Worker;
  readonly #owner: IsolateOwner;
  /**
   * Whether calls carry their message's ID and headers: only a script that
   * may `require("queue")` can read them, and on the in-memory driver both
   * are made on first read.
   */
  readonly #withMessage: boolean;
  readonly #freeSlots: number[] = Array.from({ length: ISOLATE_SLOTS }, (_, i) => ISOLATE_SLOTS - 1 - i);
  #calls: unknown[] = [];
  #stops: number[] = [];
  #replies: unknown[] = [];
  #flushScheduled = false;
  /**
   * Calls that ended since the last flush: the consumers whose calls they
   * were are about to make as many new ones, and the batch leaves as soon
   * as they have (see {@link send}).
   */
  #refills = 0;
  #terminated = false;
  #exitError: Error | undefined;

  private constructor(worker: Worker, owner: IsolateOwner, withMessage: boolean) {
    this.#worker = worker;
    this.#owner = owner;
    this.#withMessage = withMessage;
  }

  /**
   * Starts a worker and loads the function in it. Rejects with the
   * `ConfigError` of the load (syntax error, bad `require`, ...), or one
   * naming the function when loading outlasts `loadLimitMs`.
   */
  static start(options: IsolateOptions): Promise<LuaIsolate> {
    const limitMb = Math.max(64, Math.ceil(options.init.memoryLimit / MiB));
    const worker = new Worker(entryUrl, {
      // The parent's flags (a loader, inspector ports) are not for this thread.
      execArgv: [],
      name: `lua ${options.entry.id}`,
      resourceLimits: { maxOldGenerationSizeMb: limitMb },
    });
    const isolate = new LuaIsolate(worker, options.owner, options.init.spec.modules.includes('queue'));
    return new Promise((resolve, reject) => {
      let loading = true;
      let timer: NodeJS.Timeout | undefined;
      const fail = (error: Error) => {
        loading = false;
        if (timer) clearTimeout(timer);
        void isolate.terminate();
        reject(error);
      };
      worker.on('message', (message: FromIsolate | string) => {
        if (isolate.#terminated) return; // sent before it was terminated: its calls are settled already
        if (typeof message === 'string') return options.owner.onOps(isolate, JSON.parse(message) as unknown[]);
        if (message.type === 'ops') return options.owner.onOps(isolate, message.ops);
        if (!loading) return;
        if (message.type === 'booted') {
          isolate.#post({ init: { ...options.init, progress: isolate.progress.buffer as SharedArrayBuffer } });
          timer = setTimeout(() => fail(loadTimeout(options.entry, options.loadLimitMs)), options.loadLimitMs);
        } else if (message.type === 'ready') {
          loading = false;
          clearTimeout(timer);
          isolate.#updateRef();
          resolve(isolate);
        } else if (message.type === 'failed') {
          fail(message.issues ? new ConfigError(message.issues) : new Error(`lua function ${options.entry.id}: ${message.message}`));
        }
      });
      worker.on('error', (error) => {
        isolate.#exitError = error;
      });
      worker.on('exit', (code) => {
        const wasTerminated = isolate.#terminated;
        isolate.#terminated = true;
        isolate.retiring = true;
        const error = isolate.#exitError ?? new Error(`lua isolate of ${options.entry.id} exited with code ${code}`);
        if (loading) fail(new Error(`lua function ${options.entry.id} failed to load: ${error.message}`));
        else if (!wasTerminated) options.owner.onLost(isolate, error);
      });
    });
  }

  /** Whether it can take one more call now. */
  get accepting(): boolean {
    return !this.retiring && this.#freeSlots.length > 0;
  }

  /** Sends a call (at the end of this turn, with the others). */
  send(call: PendingCall): void {
    const slot = this.#freeSlots.pop()!;
    call.slot = slot;
    this.progress[slot] = 0;
    if (this.calls.size === 0) this.#worker.ref();
    this.calls.set(call.id, call);
    const deadline = call.deadline === Infinity ? 0 : call.deadline;
    const levels = logLevelMask(call.ctx.logger);
    if (this.#withMessage) this.#calls.push(call.id, slot, deadline, call.ctx.message.id, call.ctx.message.headers, call.body, levels);
    else this.#calls.push(call.id, slot, deadline, null, null, call.body, levels);
    // Once every call that just ended has been replaced, send at once
    // rather than at the end of the turn: the worker then runs the batch
    // while this thread finishes the turn (acks, credit, the driver's
    // deliveries), where waiting for the turn's end kept the two threads
    // taking turns. Measured at concurrency 4: the batch still carries
    // 4 calls, and the end of the turn came 50-90 us after the 4th call.
    if (this.#refills > 0 && this.#calls.length >= this.#refills * CALL_STRIDE) this.#flush();
    else this.#schedule();
  }

  /** Forgets a call that ended (or is taken away), freeing its slot. */
  remove(call: PendingCall): void {
    if (!this.calls.delete(call.id)) return;
    this.#refills++;
    this.#freeSlots.push(call.slot);
    if (this.calls.size === 0) this.#updateRef();
  }

  /** Whether the worker had started `call` (reliable even after it was terminated). */
  started(call: PendingCall): boolean {
    return Atomics.load(this.progress, call.slot) !== 0;
  }

  /** Asks the worker to stop a call (it honours this between Lua instructions). */
  stop(callId: number): void {
    this.#stops.push(callId);
    this.#schedule();
  }

  /** Answers a publish/info request. */
  reply(requestId: number, ok: boolean, value: unknown): void {
    this.#replies.push(requestId, ok, value);
    this.#schedule();
  }

  /** Ends the worker now, whatever it is running. Idempotent. */
  async terminate(): Promise<void> {
    this.retiring = true;
    if (this.#terminated) return;
    this.#terminated = true;
    await this.#worker.terminate();
  }

  #updateRef(): void {
    if (this.calls.size === 0) this.#worker.unref();
    else this.#worker.ref();
  }

  #schedule(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // At the end of this event-loop turn (unless `send` flushes sooner),
    // not of this microtask checkpoint: the consumers resumed by one batch
    // of results make their next calls over several checkpoints (each
    // settle is a chain of promise jobs), and a microtask flush sent half
    // of them on their own (measured: 2 calls a message instead of 4 at
    // concurrency 4, and as many more round trips).
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    this.#refills = 0;
    if (this.#terminated) return;
    const message: { calls?: unknown[]; stops?: number[]; replies?: unknown[] } = {};
    if (this.#calls.length > 0) {
      const calls = this.#calls;
      this.#calls = [];
      // As JSON text: bodies are JSON data (the body rule), and text crosses
      // threads for a copy where structured clone writes and reads every
      // value. A body JSON cannot write (a cycle, from a direct caller) goes
      // by structured clone.
      let text: string | undefined;
      try {
        text = JSON.stringify(calls);
      } catch {
        message.calls = calls;
      }
      this.batchesSent++;
      if (text !== undefined) this.#worker.postMessage(text);
    }
    if (this.#stops.length > 0) {
      message.stops = this.#stops;
      this.#stops = [];
    }
    if (this.#replies.length > 0) {
      message.replies = this.#replies;
      this.#replies = [];
    }
    if (message.calls || message.stops || message.replies) this.#post(message);
  }

  #post(message: ToIsolate): void {
    try {
      this.#worker.postMessage(message);
    } catch {
      // Something structured clone refuses (a function in a body, say):
      // send it described rather than lose the whole batch.
      this.#worker.postMessage(cloneable(message));
    }
  }
}

function loadTimeout(entry: FunctionEntry, ms: number): ConfigError {
  return new ConfigError([
    {
      file: entry.file,
      line: entry.line,
      entryId: entry.id,
      field: 'source',
      message: `lua function ${entry.id} did not finish loading within ${ms}ms (does a file loop forever at load?)`,
    },
  ]);
}
