import type { Redis } from 'ioredis';
import { LIB } from './redis-lua-lib.ts';
import { DEAD_LETTER, FETCH, PUBLISH, QUARANTINE, RELEASE, REQUEUE } from './redis-lua-moves.ts';

/*
 * The scripts of the Redis driver, registered on each command client:
 * the moves of a message live in `redis-lua-moves.ts`; here are the
 * bookkeeping ones (declare, heartbeat and reaping, leave, info) and the
 * typed entry points of all of them.
 */

/**
 * KEYS meta; ARGV mode ('set' | 'restore'), token-floor, field, value, ...
 * `set` writes the declaration (the last declare wins); `restore` writes it
 * only where it is missing (the server came back empty), leaving a newer
 * declare by another process alone. Both raise the token counter `seq` to
 * at least the floor, so tokens handed out before the data was lost are
 * never issued again (a late ack of one must not remove another message).
 * Returns 1 if the declaration was written.
 */
const DECLARE = `
local wrote = 0
if ARGV[1] == 'set' or redis.call('HEXISTS', KEYS[1], 'visibility_timeout') == 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 3))
  wrote = 1
end
local floor = tonumber(ARGV[2])
if floor and floor > 0 and (tonumber(redis.call('HGET', KEYS[1], 'seq')) or 0) < floor then
  redis.call('HSET', KEYS[1], 'seq', floor)
end
return wrote
`;

/**
 * KEYS holders, consumers, ready, meta; ARGV notify-channel, proc-prefix,
 * consumer-key ('' = none), attached (1/0), default visibility timeout.
 * Records a heartbeat, then returns the messages of every holder silent for
 * longer than the visibility timeout to the head of the queue.
 */
const HEARTBEAT = `${LIB}
local now = now_ms()
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  if ARGV[4] == '1' then redis.call('ZADD', KEYS[2], now, ARGV[3]) end
end
local vt = tonumber(redis.call('HGET', KEYS[4], 'visibility_timeout')) or tonumber(ARGV[5])
local limit = '(' .. string.format('%.0f', now - vt)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', limit)
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', limit)
local moved = 0
for _, c in ipairs(dead) do
  moved = moved + reclaim(ARGV[2] .. c, KEYS[3])
  redis.call('ZREM', KEYS[1], c)
end
if moved > 0 and redis.call('LLEN', KEYS[3]) == moved then redis.call('PUBLISH', ARGV[1], '') end
return moved
`;

/**
 * KEYS holders, consumers, proc, ready; ARGV notify-channel, consumer-key.
 * A consumer leaves for good: whatever it still holds goes back to the head.
 */
const LEAVE = `${LIB}
local moved = reclaim(KEYS[3], KEYS[4])
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
if moved > 0 and redis.call('LLEN', KEYS[4]) == moved then redis.call('PUBLISH', ARGV[1], '') end
return moved
`;

/**
 * KEYS meta, ready, holders, consumers, parked, delayed; ARGV proc-prefix, default visibility timeout.
 * Returns `{ready, in_flight, consumer_count, expired, parked, delayed}` or `{-1}` if undeclared.
 * A delayed message whose time has come counts as ready even before a fetch has moved it.
 */
const INFO = `${LIB}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local now = string.format('%.0f', now_ms())
local due = redis.call('ZCOUNT', KEYS[6], '-inf', now)
local ready = redis.call('LLEN', KEYS[2]) + due
local inflight = 0
for _, c in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  inflight = inflight + redis.call('HLEN', ARGV[1] .. c)
end
local vt = tonumber(redis.call('HGET', KEYS[1], 'visibility_timeout')) or tonumber(ARGV[2])
local consumers = redis.call('ZCOUNT', KEYS[4], string.format('%.0f', now_ms() - vt), '+inf')
return {ready, inflight, consumers, tonumber(redis.call('HGET', KEYS[1], 'expired')) or 0, redis.call('LLEN', KEYS[5]), redis.call('ZCARD', KEYS[6]) - due}
`;

type Arg = string | number;

/**
 * Typed entry points of the scripts, as registered on a client by
 * {@link defineScripts} (EVALSHA with a transparent EVAL fallback on
 * `NOSCRIPT`, e.g. after a server restart). @internal
 */
export interface RedisScripts {
  aqPublish(meta: string, ready: string, delayed: string, notify: string, delayMs: Arg, ...payloads: string[]): Promise<[number, number]>;
  aqFetch(ready: string, proc: string, meta: string, delayed: string, count: number, room: string, notify: string, ...ackedRanges: Arg[]): Promise<[number, string[], number]>;
  aqRequeue(proc: string, ready: string, delayed: string, token: Arg, payload: string, notify: string, delayMs: Arg): Promise<number>;
  aqDeadLetter(proc: string, targetMeta: string, targetReady: string, token: Arg, payload: string, notify: string): Promise<number>;
  aqRelease(proc: string, ready: string, notify: string, ...tokens: Arg[]): Promise<number>;
  aqQuarantine(proc: string, dlqMeta: string, dlqReady: string, parked: string, token: Arg, payload: string, dlqNotify: string, useDlq: Arg): Promise<number>;
  aqDeclare(meta: string, mode: 'set' | 'restore', floor: Arg, ...fields: Arg[]): Promise<number>;
  aqHeartbeat(holders: string, consumers: string, ready: string, meta: string, notify: string, procPrefix: string, consumerKey: string, attached: Arg, defaultVt: Arg): Promise<number>;
  aqLeave(holders: string, consumers: string, proc: string, ready: string, notify: string, consumerKey: string): Promise<number>;
  aqInfo(meta: string, ready: string, holders: string, consumers: string, parked: string, delayed: string, procPrefix: string, defaultVt: Arg): Promise<number[]>;
}

/** A client with the actorq scripts defined on it. @internal */
export type ScriptedRedis = Redis & RedisScripts;

/** Registers the scripts on `client` (idempotent per client). @internal */
export function defineScripts(client: Redis): ScriptedRedis {
  const define = (name: keyof RedisScripts, numberOfKeys: number, lua: string) => client.defineCommand(name, { numberOfKeys, lua });
  define('aqPublish', 3, PUBLISH);
  define('aqFetch', 4, FETCH);
  define('aqRequeue', 3, REQUEUE);
  define('aqDeadLetter', 3, DEAD_LETTER);
  define('aqRelease', 2, RELEASE);
  define('aqQuarantine', 4, QUARANTINE);
  define('aqDeclare', 1, DECLARE);
  define('aqHeartbeat', 4, HEARTBEAT);
  define('aqLeave', 4, LEAVE);
  define('aqInfo', 6, INFO);
  return client as ScriptedRedis;
}
