import type { Logger, LogFields, LogLevel } from '../../util/logger.ts';
import type { LuaIsolate } from './lua-isolate.ts';
import type { PendingCall } from './lua-pending-call.ts';
import { Op, OP_ARITY } from './lua-protocol.ts';

/** What applying an isolate's operations needs from the pool. @internal */
export interface OpsTarget {
  /** Receives log lines written outside a call (while the files load). */
  readonly loadLogger: Logger;
  /** A call ended with `kind` (a `DoneKind`) and `value`. */
  finish(isolate: LuaIsolate, call: PendingCall, kind: number, value: unknown): void;
  /** The isolate's Lua heap reached its limit. */
  retire(isolate: LuaIsolate): void;
}

/**
 * Carries out, in order, what the calls in an isolate asked for: log lines
 * go to the consumer's logger of their call, publish, info and the
 * security questions go to the call's context and their answer back to the isolate, early settles to
 * the message, and ended calls to the pool. An operation of a call that is
 * no longer held (stopped and settled meanwhile) is dropped, except a
 * request, which is answered so the isolate does not wait for it.
 * @internal
 */
export function applyIsolateOps(target: OpsTarget, isolate: LuaIsolate, ops: unknown[]): void {
  const calls = isolate.calls;
  for (let i = 0; i < ops.length; i += 1 + OP_ARITY[ops[i] as number]!) {
    const op = ops[i] as number;
    const call = calls.get(ops[i + 1] as number);
    switch (op) {
      case Op.done:
        if (call) target.finish(isolate, call, ops[i + 2] as number, ops[i + 3]);
        break;
      case Op.log:
        log(call ? call.ctx.logger : target.loadLogger, target.loadLogger, ops[i + 2] as LogLevel, ops[i + 3] as string, ops[i + 4] as LogFields | undefined);
        break;
      case Op.publish:
      case Op.info:
      case Op.can:
      case Op.actor:
        request(isolate, call, op, ops[i + 2] as number, ops[i + 3] as string, ops[i + 4], ops[i + 5]);
        break;
      case Op.settle:
        if (call) settle(call, ops[i + 2] as boolean, ops[i + 3], target.loadLogger);
        break;
      case Op.memory:
        target.retire(isolate);
        break;
    }
  }
}

function log(logger: Logger, fallback: Logger, level: LogLevel, message: string, fields: LogFields | undefined): void {
  try {
    if (fields) logger[level](message, fields);
    else logger[level](message);
  } catch (e) {
    // The script cannot hear about it any more (the line was written from
    // another thread); say it once where the operator looks.
    if (logger !== fallback) fallback.warn('the consumer logger threw on a line of a Lua handler', { error: e instanceof Error ? e.message : String(e) });
  }
}

function request(isolate: LuaIsolate, call: PendingCall | undefined, op: number, requestId: number, queueId: string, data: unknown, headers: unknown): void {
  if (!call) {
    isolate.reply(requestId, false, 'message released: its handler has finished');
    return;
  }
  const ctx = call.ctx;
  let pending: Promise<unknown>;
  try {
    if (op === Op.publish) pending = ctx.publish(queueId, data, headers ? { headers: headers as Record<string, unknown> } : undefined).then(() => undefined);
    else if (op === Op.info) pending = ctx.info(queueId).then((info) => ({ ...info }));
    // security.can: the first three values are action, resource, meta.
    else if (op === Op.can) pending = Promise.resolve(ctx.can(queueId, data as string, (headers ?? undefined) as Record<string, unknown> | undefined));
    else pending = Promise.resolve(ctx.actor === undefined ? null : { id: ctx.actor.id, meta: ctx.actor.meta ?? {} });
  } catch (e) {
    pending = Promise.reject(e);
  }
  pending.then(
    (value) => isolate.reply(requestId, true, value),
    (e: unknown) => isolate.reply(requestId, false, e instanceof Error ? e.message : String(e)),
  );
}

function settle(call: PendingCall, ack: boolean, reason: unknown, logger: Logger): void {
  try {
    if (ack) call.ctx.message.ack();
    else call.ctx.message.nack(reason ?? undefined);
  } catch (e) {
    // The consumer settled it meanwhile (its timeout nacked it): the script was told "true" already.
    logger.debug('early settle of a Lua handler refused', { message_id: call.ctx.message.id, error: e instanceof Error ? e.message : String(e) });
  }
}
