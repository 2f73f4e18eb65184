import { LuaMultiReturn } from 'wasmoon';
import { logEnabled, type Logger, type LogFields, type LogLevel } from '../../util/logger.ts';
import type { LuaCall } from './lua-call.ts';
import { toLuaValue } from './lua-values.ts';

/**
 * The JS half of the `json`, `logger`, `queue` and `security` modules, handed to
 * `bootstrap.lua`, which wraps it into the modules scripts `require`.
 *
 * Calling conventions: Lua's `value, err` pairs are returned as
 * `LuaMultiReturn` (wasmoon pushes each item; `undefined` becomes nil,
 * while `null` would throw). Expected failures are never thrown, so a
 * script sees `nil, err` as in Wippy; async calls resolve, never reject.
 * @internal
 */
export interface LuaBridge {
  json_encode(value: unknown): LuaMultiReturn;
  json_decode(text: string): LuaMultiReturn;
  log(level: LogLevel, message: string, fields: LogFields | null): void;
  /** Whether a line at `level` would be written: if not, its message and fields are not read out of Lua. */
  logs(level: LogLevel): boolean;
  publish(queueId: unknown, data: unknown, headers: unknown): Promise<LuaMultiReturn>;
  info(queueId: unknown): Promise<LuaMultiReturn>;
  message_token(): LuaMultiReturn;
  message(token: unknown, op: string, arg: unknown): LuaMultiReturn;
  security_actor(): Promise<LuaMultiReturn>;
  security_can(action: unknown, resource: unknown, meta: unknown): Promise<LuaMultiReturn>;
}

const ok = (value: unknown) => LuaMultiReturn.of(value);
const fail = (err: string) => LuaMultiReturn.of(undefined, err);
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Builds the bridge for one Lua state. `current` returns the call the
 * state is running (undefined between calls); `loadLogger` receives log
 * lines written while the files load, outside any call.
 * @internal
 */
export function createLuaBridge(current: () => LuaCall | undefined, loadLogger: Logger): LuaBridge {
  return {
    json_encode(value) {
      try {
        return ok(JSON.stringify(value ?? null));
      } catch (e) {
        return fail(`json.encode: ${errText(e)}`);
      }
    },

    json_decode(text) {
      try {
        return ok(toLuaValue(JSON.parse(text)));
      } catch (e) {
        return fail(`json.decode: ${errText(e)}`);
      }
    },

    log(level, message, fields) {
      const logger = current()?.ctx?.logger ?? loadLogger;
      if (fields) logger[level](message, fields);
      else logger[level](message);
    },

    logs(level) {
      return logEnabled(current()?.ctx?.logger ?? loadLogger, level);
    },

    async publish(queueId, data, headers) {
      const ctx = current()?.ctx;
      if (!ctx) return fail('queue.publish: only available while a handler runs');
      const problem = checkPublish(queueId, data, headers);
      if (problem) return fail(`queue.publish: ${problem}`);
      try {
        await ctx.publish(queueId as string, data, headers ? { headers: headers as Record<string, unknown> } : undefined);
        return ok(true);
      } catch (e) {
        return fail(errText(e));
      }
    },

    async info(queueId) {
      const ctx = current()?.ctx;
      if (!ctx) return fail('queue.info: only available while a handler runs');
      if (typeof queueId !== 'string' || queueId === '') return fail('queue.info: queue id is required');
      try {
        return ok(toLuaValue({ ...(await ctx.info(queueId)) }));
      } catch (e) {
        return fail(errText(e));
      }
    },

    async security_actor() {
      const ctx = current()?.ctx;
      // Outside a handler there is no consumer, hence no actor.
      if (!ctx) return ok(undefined);
      try {
        const actor = await ctx.requestActor();
        return ok(actor === null ? undefined : toLuaValue(actor));
      } catch (e) {
        return fail(errText(e));
      }
    },

    async security_can(action, resource, meta) {
      const ctx = current()?.ctx;
      if (!ctx) return ok(false);
      if (typeof action !== 'string' || typeof resource !== 'string') return fail('security.can: action and resource must be strings');
      if (meta !== null && meta !== undefined && (typeof meta !== 'object' || Array.isArray(meta))) return fail('security.can: meta must be a table keyed by name');
      try {
        return ok(await ctx.requestCan(action, resource, meta ?? undefined));
      } catch (e) {
        return fail(errText(e));
      }
    },

    message_token() {
      const call = current();
      if (!call?.ctx) return fail('queue.message: no message: called outside a handler');
      return ok(call.token);
    },

    message(token, op, arg) {
      const call = current();
      // A message object kept past its call (in a global, say) must not reach the next message.
      if (!call?.ctx || call.token !== token) return fail('message released: its handler has finished');
      const message = call.ctx.message;
      try {
        switch (op) {
          case 'id':
            return ok(message.id);
          case 'header':
            return ok(typeof arg === 'string' ? message.header(arg) : undefined);
          case 'headers':
            return ok({ ...message.headers });
          case 'ack':
            message.ack();
            return ok(true);
          case 'nack':
            message.nack(arg ?? undefined);
            return ok(true);
          default:
            return fail(`message: unknown method ${op}`);
        }
      } catch (e) {
        return fail(errText(e));
      }
    },
  };
}

/** Wippy's publish checks, in its order, as a message or undefined. */
function checkPublish(queueId: unknown, data: unknown, headers: unknown): string | undefined {
  if (typeof queueId !== 'string' || queueId === '') return 'queue id is required';
  if (data === null || data === undefined) return 'data is required';
  if (typeof data === 'function') return 'data must be a table, string, number or boolean';
  if (typeof data === 'object' && isEmpty(data)) return 'data must not be an empty table';
  if (headers === null || headers === undefined) return undefined;
  // An empty Lua table arrives as {}; a sequence arrives as an array, which has no header names.
  if (typeof headers !== 'object' || Array.isArray(headers)) return 'headers must be a table keyed by header name';
  for (const [key, value] of Object.entries(headers)) {
    const t = typeof value;
    if (t !== 'string' && t !== 'boolean' && t !== 'number') {
      return `header "${key}" must be a boolean, integer, number or string, got ${t === 'object' ? 'table' : t}`;
    }
  }
  return undefined;
}

function isEmpty(value: object): boolean {
  for (const _ in value) return false;
  return true;
}
