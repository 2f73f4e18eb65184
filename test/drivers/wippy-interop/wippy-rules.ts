/**
 * What Wippy's AMQP driver computes, written down as plain functions for
 * the interop fixture (facts read from wippyai/runtime:
 * `service/queue/amqp/driver.go`, `api/queue/message.go`,
 * `runtime/lua/modules/queue/module.go`, `api/attrs/attrs.go`,
 * `internal/entry/decode.go`).
 */
import { isWireNumber } from './typed-table.ts';

/**
 * A header value as Wippy's Lua module hands it to the driver: a Lua
 * integer is a Go int64, any other Lua number a float64 (written here as
 * `{ float: n }`, since JS cannot tell 2 from 2.0), strings and booleans.
 */
export type LuaHeaderValue = string | boolean | number | { readonly float: number };

/** Go's `time.ParseDuration`, in milliseconds as `Duration.Milliseconds()` gives them (truncated); undefined where Go returns an error. */
export function goDurationMs(text: string): number | undefined {
  const units: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let ns = 0;
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m) return undefined;
    ns += Number(m[1]) * units[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return Math.trunc((sign * ns) / 1e6);
}

/**
 * The `driver_options` bag of a queue entry as Wippy's driver reads it:
 * entry data is decoded through JSON (`DecodeEntryConfig` finds the JSON
 * unmarshaler cheapest), so every number is a float64, and `Bag.GetInt`
 * accepts only a Go `int`: a number never reads as one.
 */
export const bag = {
  getString: (b: Readonly<Record<string, unknown>>, key: string, def: string): string => (typeof b[key] === 'string' ? (b[key] as string) : def),
  getBool: (b: Readonly<Record<string, unknown>>, key: string, def: boolean): boolean => (typeof b[key] === 'boolean' ? (b[key] as boolean) : def),
  getInt: (_b: Readonly<Record<string, unknown>>, _key: string, def: number): number => def,
};

/** `clampMillisToInt32`. */
const clamp = (ms: number) => Math.min(ms, 2 ** 31 - 1);

/** The driver fields that enter a declare (`Config.DefaultQueueTTL`, `DefaultQueueExpiry`), as duration strings. */
export interface WippyDriverFields {
  readonly default_queue_ttl?: string;
  readonly default_queue_expiry?: string;
  readonly default_message_ttl?: string;
}

/** `DeclareQueue` + `buildQueueArgs`: durable, auto-delete and the x-arguments (int32), or `undefined` arguments when none. */
export function wippyDeclare(amqpBag: Readonly<Record<string, unknown>>, driver: WippyDriverFields): { durable: boolean; autoDelete: boolean; arguments: Record<string, unknown> | undefined } {
  let ttl = driver.default_queue_ttl ? goDurationMs(driver.default_queue_ttl)! : 0;
  let expiry = driver.default_queue_expiry ? goDurationMs(driver.default_queue_expiry)! : 0;
  const ttlText = bag.getString(amqpBag, 'message_ttl', '');
  if (ttlText !== '' && goDurationMs(ttlText) !== undefined) ttl = goDurationMs(ttlText)!;
  const expiryText = bag.getString(amqpBag, 'queue_expiry', '');
  if (expiryText !== '' && goDurationMs(expiryText) !== undefined) expiry = goDurationMs(expiryText)!;
  const maxLen = bag.getInt(amqpBag, 'max_length', 0);
  const args: Record<string, unknown> = {};
  if (ttl > 0) args['x-message-ttl'] = { '!': 'int32', value: clamp(ttl) };
  if (expiry > 0) args['x-expires'] = { '!': 'int32', value: clamp(expiry) };
  if (maxLen > 0) args['x-max-length'] = { '!': 'int32', value: maxLen };
  return {
    durable: bag.getBool(amqpBag, 'durable', true),
    autoDelete: bag.getBool(amqpBag, 'auto_delete', false),
    arguments: Object.keys(args).length > 0 ? args : undefined,
  };
}

/** Go's `fmt.Sprintf("%v", v)` for the values `toString` meets. */
function goString(v: LuaHeaderValue): string {
  if (typeof v === 'object') return String(v.float);
  return String(v);
}

/** A Lua header value as the table carries it (int64 / float64 / string / bool). */
export function luaTableValue(v: LuaHeaderValue): unknown {
  if (typeof v === 'object') return { '!': 'double', value: v.float };
  if (typeof v === 'number') return { '!': 'int64', value: v };
  return v;
}

/** The properties and table `buildPublishing` makes from a message's headers (before the mandatory flag is taken out). */
export function wippyPublishing(id: string, contentType: string, headers: Readonly<Record<string, LuaHeaderValue>>): { properties: Record<string, unknown>; mandatory: boolean } {
  const p: Record<string, unknown> = { messageId: id, contentType };
  const table: Record<string, unknown> = {};
  let mandatory = false;
  const uint8 = (v: LuaHeaderValue): number | undefined => {
    const n = typeof v === 'object' ? v.float : v;
    return typeof n === 'number' && n >= 0 && n <= 255 ? Math.trunc(n) : undefined;
  };
  for (const [k, v] of Object.entries(headers)) {
    switch (k) {
      case 'correlation_id':
        p['correlationId'] = goString(v);
        break;
      case 'reply_to':
        p['replyTo'] = goString(v);
        break;
      case 'message_type':
        p['type'] = goString(v);
        break;
      case 'content_type':
        p['contentType'] = goString(v);
        break;
      case 'encoding':
      case 'amqp.content_encoding':
        p['contentEncoding'] = goString(v);
        break;
      case 'timestamp':
        // toTimestamp takes int64 / int only: a float timestamp is dropped.
        if (typeof v === 'number') p['timestamp'] = v;
        break;
      case 'amqp.priority':
        if (uint8(v) !== undefined) p['priority'] = uint8(v);
        break;
      case 'amqp.expiration':
        p['expiration'] = goString(v);
        break;
      case 'amqp.delivery_mode':
        if (uint8(v) !== undefined) p['deliveryMode'] = uint8(v);
        break;
      case 'amqp.x_delay': {
        const n = typeof v === 'object' ? v.float : v;
        if (typeof n === 'number') table['x-delay'] = { '!': 'int32', value: Math.trunc(n) };
        break;
      }
      case 'amqp.mandatory':
        mandatory = v === true || v === 'true' || v === '1' || (typeof v === 'number' && v !== 0);
        break;
      default:
        table[k] = luaTableValue(v);
    }
  }
  // amqp091 sends no zero-valued property; DeliveryMode 0 becomes Persistent.
  if (!p['deliveryMode']) p['deliveryMode'] = 2;
  if (p['priority'] === 0) delete p['priority'];
  for (const key of ['correlationId', 'replyTo', 'type', 'contentType', 'contentEncoding', 'expiration']) if (p[key] === '') delete p[key];
  p['headers'] = table;
  return { properties: p, mandatory };
}

/** What `applyDeliveryHeaders` puts in a message's headers (Go-typed values, before the Lua conversion). */
export function wippyDeliveryHeaders(props: Record<string, unknown>, receivedAt: number): Record<string, unknown> {
  // AcquireMessage stamps the receive time first; a timestamp property replaces it.
  const h: Record<string, unknown> = { timestamp: { '!': 'int64', value: receivedAt } };
  const str = (header: string, property: string) => {
    if (typeof props[property] === 'string' && props[property] !== '') h[header] = props[property];
  };
  str('correlation_id', 'correlationId');
  str('reply_to', 'replyTo');
  str('content_type', 'contentType');
  str('encoding', 'contentEncoding');
  str('message_type', 'type');
  if (typeof props['timestamp'] === 'number') h['timestamp'] = { '!': 'int64', value: props['timestamp'] };
  h['amqp.priority'] = { '!': 'int', value: typeof props['priority'] === 'number' ? props['priority'] : 0 };
  h['amqp.delivery_mode'] = { '!': 'int', value: typeof props['deliveryMode'] === 'number' ? props['deliveryMode'] : 0 };
  if (typeof props['expiration'] === 'string' && props['expiration'] !== '') h['amqp.expiration'] = props['expiration'];
  const table = (props['headers'] ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(table)) h[k] = v;
  return h;
}

/**
 * `toLuaValue`: strings and booleans as they are; Go int, int64 and
 * float64 become Lua numbers; every other type (int8, int16, int32,
 * float32, timestamps, tables, ...) becomes a string through `%v`.
 */
export function luaView(value: unknown): unknown {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (isWireNumber(value)) {
    const type = value['!'] as string;
    return type === 'int64' || type === 'double' || type === 'int' ? value.value : String(value.value);
  }
  if (value === null) return '<nil>';
  return String(value);
}
