import type { QueueInfo } from '../../drivers/driver.ts';
import { AlreadySettledError } from '../../errors/message-errors.ts';
import type { Headers } from '../../message/message.ts';
import type { LogFields, Logger, LogLevel } from '../../util/logger.ts';
import type { HandlerContext, MessageHandle } from '../handler.ts';
import { maskHas, Op } from './lua-protocol.ts';

/** What a {@link RemoteCall} needs from the isolate it runs in. @internal */
export interface RemoteCallHost {
  /** Queues an operation for the main thread (sent at the end of the turn). */
  push(op: number, a: unknown, b: unknown, c: unknown, d?: unknown, e?: unknown): void;
  /** Queues a request the main thread answers; resolves with its value, rejects with its error text. */
  request(op: number, callId: number, queueId: string, data?: unknown, headers?: unknown): Promise<unknown>;
}

/**
 * A handler call inside an isolate: the {@link HandlerContext} the Lua
 * states and the bridge see, standing in for the consumer's context on
 * the main thread. Each of its effects becomes an operation sent there:
 * log lines, publish, info and security requests (answered
 * asynchronously), early settles. It has no `actor` or `can` of its own:
 * `security.actor()`/`security.can()` ask the main thread.
 *
 * Settles answer at once, from what this side knows (a second settle is
 * refused here with the consumer's own wording); the main thread then
 * applies it, and one that the consumer refuses there (the message was
 * meanwhile nacked by the consumer's timeout) is dropped. `msg:ack()`
 * thereby stays synchronous for the script, as in Wippy.
 *
 * It is also its own message handle; its logger is made on first use.
 * @internal
 */
export class RemoteCall implements Omit<HandlerContext, 'actor' | 'can'>, MessageHandle {
  readonly callId: number;
  /** Its place in the isolate's progress array. */
  readonly slot: number;
  readonly id: string;
  readonly headers: Readonly<Headers>;
  /** The main thread asked this call to stop (read by the debug hook: a plain flag is cheapest). */
  aborted: boolean;
  // TS-private fields assigned in the constructor: one of these is made
  // per message, and plain assignment gives every instance one shape.
  private readonly host: RemoteCallHost;
  private controller: AbortController | undefined;
  private callLogger: Logger | undefined;
  private settled: 'acked' | 'nacked' | undefined;
  /** The levels the consumer's logger writes (see `logLevelMask`). */
  private readonly logLevels: number;

  constructor(host: RemoteCallHost, callId: number, slot: number, messageId: string, headers: Readonly<Headers>, logLevels: number) {
    this.host = host;
    this.callId = callId;
    this.slot = slot;
    this.id = messageId;
    this.headers = headers;
    this.aborted = false;
    this.controller = undefined;
    this.callLogger = undefined;
    this.settled = undefined;
    this.logLevels = logLevels;
  }

  /** Not known inside the isolate; the main thread's context has it. */
  get consumerId(): string {
    return '';
  }

  get message(): MessageHandle {
    return this;
  }

  get logger(): Logger {
    return (this.callLogger ??= new CallLogger(this.host, this.callId, this.logLevels));
  }

  /**
   * Aborts when the main thread asks this call to stop. Made on first read
   * (a wait on a publish reads it), as the consumer does.
   */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }

  /** The main thread asked this call to stop. */
  abort(): void {
    this.aborted = true;
    this.controller?.abort();
  }

  header(name: string): Headers[string] | undefined {
    return this.headers[name];
  }

  ack(): void {
    this.settle(true, undefined);
  }

  nack(reason?: unknown): void {
    this.settle(false, reason);
  }

  private settle(ack: boolean, reason: unknown): void {
    if (this.settled) throw new AlreadySettledError(this.id, this.settled);
    this.settled = ack ? 'acked' : 'nacked';
    this.host.push(Op.settle, this.callId, ack, reason);
  }

  publish(queueId: string, body: unknown, options?: { headers?: Readonly<Record<string, unknown>> }): Promise<void> {
    return this.host.request(Op.publish, this.callId, queueId, body, options?.headers) as Promise<void>;
  }

  info(queueId: string): Promise<QueueInfo> {
    return this.host.request(Op.info, this.callId, queueId) as Promise<QueueInfo>;
  }

  /**
   * `security.can`: the consumer's policies live on the main thread, so
   * the question goes there (its answers are cached there per action and
   * resource), unlike `ctx.can`, which answers at once.
   */
  requestCan(action: string, resource: string, meta: unknown): Promise<boolean> {
    return this.host.request(Op.can, this.callId, action, resource, meta) as Promise<boolean>;
  }

  /** `security.actor`: the actor of the call's consumer, `{ id, meta }`, or null without one. */
  requestActor(): Promise<{ id: string; meta: Record<string, unknown> } | null> {
    return this.host.request(Op.actor, this.callId, '') as Promise<{ id: string; meta: Record<string, unknown> } | null>;
  }
}

/**
 * Log lines of one call, sent to the main thread, where the consumer's
 * logger writes them; lines of a level that logger drops are not sent.
 * @internal
 */
export class CallLogger implements Logger {
  private readonly host: RemoteCallHost;
  private readonly callId: number;
  private readonly levels: number;

  constructor(host: RemoteCallHost, callId: number, levels: number) {
    this.host = host;
    this.callId = callId;
    this.levels = levels;
  }

  debug(message: string, fields?: LogFields): void {
    if (this.levels & 0b0001) this.host.push(Op.log, this.callId, 'debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    if (this.levels & 0b0010) this.host.push(Op.log, this.callId, 'info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    if (this.levels & 0b0100) this.host.push(Op.log, this.callId, 'warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    if (this.levels & 0b1000) this.host.push(Op.log, this.callId, 'error', message, fields);
  }

  enabled(level: LogLevel): boolean {
    return maskHas(this.levels, level);
  }
}
