import type { Redis } from 'ioredis';

/*
 * The Lua scripts behind every move of a message. Each runs atomically on
 * the server, so a crash between two steps of a move cannot lose or
 * duplicate a message. Conventions:
 * - times are Redis's own clock (`TIME`), so processes with skewed clocks agree;
 * - "was empty" checks publish on the queue's notify channel, which wakes
 *   idle consumers without polling;
 * - `unpack` is chunked: Lua's C stack holds ~8000 values.
 */

/** Shared Lua helpers, prepended to the scripts that need them. */
const LIB = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function ttl_prefix(meta)
  local ttl = tonumber(redis.call('HGET', meta, 'message_ttl'))
  if ttl and ttl > 0 then return string.format('%.0f', now_ms() + ttl) .. '|' end
  return nil
end
local function reclaim(proc, ready)
  local flat = redis.call('HGETALL', proc)
  if #flat == 0 then return 0 end
  local entries = {}
  for i = 1, #flat, 2 do entries[#entries + 1] = { tonumber(flat[i]), flat[i + 1] } end
  table.sort(entries, function(a, b) return a[1] > b[1] end)
  for i = 1, #entries, 500 do
    local batch = {}
    for k = i, math.min(i + 499, #entries) do batch[#batch + 1] = entries[k][2] end
    redis.call('LPUSH', ready, unpack(batch))
  end
  redis.call('DEL', proc)
  return #entries
end
`;

/**
 * KEYS meta, ready; ARGV notify-channel, payload...
 * Appends as many payloads as `max_length` allows. Returns
 * `{accepted, fail_mode}`; accepted = -1 for an undeclared queue.
 */
const PUBLISH = `${LIB}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local meta = redis.call('HMGET', KEYS[1], 'max_length', 'on_full')
local fail = (meta[2] == 'fail') and 1 or 0
local n = #ARGV - 1
local room = n
local max = tonumber(meta[1])
if max and max > 0 then
  room = math.min(n, max - redis.call('LLEN', KEYS[2]))
  if room <= 0 then return {0, fail} end
end
local prefix = ttl_prefix(KEYS[1])
local len = 0
for i = 2, room + 1, 1000 do
  local j = math.min(i + 999, room + 1)
  if prefix then
    local batch = {}
    for k = i, j do batch[#batch + 1] = prefix .. ARGV[k] end
    len = redis.call('RPUSH', KEYS[2], unpack(batch))
  else
    len = redis.call('RPUSH', KEYS[2], unpack(ARGV, i, j))
  end
end
if len == room then redis.call('PUBLISH', ARGV[1], '') end
return {room, fail}
`;

/**
 * KEYS ready, proc, meta; ARGV count, room-channel.
 * Pops up to `count` live messages (dropping expired ones), records them in
 * the consumer's processing hash under fresh tokens, returns
 * `{first_token, payloads}` or `{0}` when the queue is empty.
 */
const FETCH = `${LIB}
local n = tonumber(ARGV[1])
local before = redis.call('LLEN', KEYS[1])
if before == 0 then return {0} end
local out = {}
local now = nil
local expired = 0
while #out < n do
  local items = redis.call('LPOP', KEYS[1], n - #out)
  if not items then break end
  for _, v in ipairs(items) do
    if string.byte(v, 1) == 91 then
      out[#out + 1] = v
    else
      if not now then now = now_ms() end
      local bar = string.find(v, '|', 1, true)
      if tonumber(string.sub(v, 1, bar - 1)) > now then out[#out + 1] = v else expired = expired + 1 end
    end
  end
end
if expired > 0 then redis.call('HINCRBY', KEYS[3], 'expired', expired) end
local max = tonumber(redis.call('HGET', KEYS[3], 'max_length'))
if max and max > 0 and before >= max then redis.call('PUBLISH', ARGV[2], '') end
if #out == 0 then return {0} end
local last = redis.call('HINCRBY', KEYS[3], 'seq', #out)
local first = last - #out + 1
for i = 1, #out, 500 do
  local args = {}
  for k = i, math.min(i + 499, #out) do
    args[#args + 1] = first + k - 1
    args[#args + 1] = out[k]
  end
  redis.call('HSET', KEYS[2], unpack(args))
end
return {first, out}
`;

/**
 * KEYS proc, ready; ARGV token, payload, notify-channel.
 * Moves a held message to the tail with new content. 0 if it was no longer
 * held (already reclaimed by a reaper: the reclaimed copy wins).
 */
const REQUEUE = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('RPUSH', KEYS[2], ARGV[2]) == 1 then redis.call('PUBLISH', ARGV[3], '') end
return 1
`;

/**
 * KEYS proc, target-meta, target-ready; ARGV token, payload, notify-channel.
 * Moves a held message to another queue (stamped with that queue's TTL).
 * -1 if the target is not declared (the message stays held), 0 if no longer held.
 */
const DEAD_LETTER = `${LIB}
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
local prefix = ttl_prefix(KEYS[2])
local v = ARGV[2]
if prefix then v = prefix .. v end
if redis.call('RPUSH', KEYS[3], v) == 1 then redis.call('PUBLISH', ARGV[3], '') end
return 1
`;

/**
 * KEYS proc, ready; ARGV notify-channel, token...
 * Puts held messages back at the head, untouched, keeping the given order.
 */
const RELEASE = `
local n = 0
for i = #ARGV, 2, -1 do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v then
    redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('LPUSH', KEYS[2], v)
    n = n + 1
  end
end
if n > 0 and redis.call('LLEN', KEYS[2]) == n then redis.call('PUBLISH', ARGV[1], '') end
return n
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
 * KEYS meta, ready, holders, consumers; ARGV proc-prefix, default visibility timeout.
 * Returns `{ready, in_flight, consumer_count, expired}` or `{-1}` if undeclared.
 */
const INFO = `${LIB}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local ready = redis.call('LLEN', KEYS[2])
local inflight = 0
for _, c in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  inflight = inflight + redis.call('HLEN', ARGV[1] .. c)
end
local vt = tonumber(redis.call('HGET', KEYS[1], 'visibility_timeout')) or tonumber(ARGV[2])
local consumers = redis.call('ZCOUNT', KEYS[4], string.format('%.0f', now_ms() - vt), '+inf')
return {ready, inflight, consumers, tonumber(redis.call('HGET', KEYS[1], 'expired') or '0')}
`;

type Arg = string | number;

/**
 * Typed entry points of the scripts, as registered on a client by
 * {@link defineScripts} (EVALSHA with a transparent EVAL fallback on
 * `NOSCRIPT`, e.g. after a server restart). @internal
 */
export interface RedisScripts {
  aqPublish(meta: string, ready: string, notify: string, ...payloads: string[]): Promise<[number, number]>;
  aqFetch(ready: string, proc: string, meta: string, count: number, room: string): Promise<[number, string[]?]>;
  aqRequeue(proc: string, ready: string, token: Arg, payload: string, notify: string): Promise<number>;
  aqDeadLetter(proc: string, targetMeta: string, targetReady: string, token: Arg, payload: string, notify: string): Promise<number>;
  aqRelease(proc: string, ready: string, notify: string, ...tokens: Arg[]): Promise<number>;
  aqHeartbeat(holders: string, consumers: string, ready: string, meta: string, notify: string, procPrefix: string, consumerKey: string, attached: Arg, defaultVt: Arg): Promise<number>;
  aqLeave(holders: string, consumers: string, proc: string, ready: string, notify: string, consumerKey: string): Promise<number>;
  aqInfo(meta: string, ready: string, holders: string, consumers: string, procPrefix: string, defaultVt: Arg): Promise<number[]>;
}

/** A client with the actorq scripts defined on it. @internal */
export type ScriptedRedis = Redis & RedisScripts;

/** Registers the scripts on `client` (idempotent per client). @internal */
export function defineScripts(client: Redis): ScriptedRedis {
  const define = (name: keyof RedisScripts, numberOfKeys: number, lua: string) => client.defineCommand(name, { numberOfKeys, lua });
  define('aqPublish', 2, PUBLISH);
  define('aqFetch', 3, FETCH);
  define('aqRequeue', 2, REQUEUE);
  define('aqDeadLetter', 3, DEAD_LETTER);
  define('aqRelease', 2, RELEASE);
  define('aqHeartbeat', 4, HEARTBEAT);
  define('aqLeave', 4, LEAVE);
  define('aqInfo', 4, INFO);
  return client as ScriptedRedis;
}
