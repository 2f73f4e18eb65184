import { LIB } from './redis-lua-lib.ts';
import { PROMOTE_DUE_LIB, STORE_DELAYED_LIB } from './redis-lua-delay.ts';

/*
 * The Lua scripts that move a message: publish, fetch, and the settles.
 * Each runs atomically on the server, so a crash between two steps of a
 * move cannot lose or duplicate a message. Conventions:
 * - times are Redis's own clock (`TIME`), so processes with skewed clocks agree;
 * - "was empty" checks publish on the queue's notify channel, which wakes
 *   idle consumers without polling;
 * - `unpack` is chunked: Lua's C stack holds ~8000 values;
 * - nothing is popped that cannot be handed back: a script that could fail
 *   after removing entries puts them back before returning its error.
 */

/**
 * KEYS meta, ready, delayed; ARGV notify-channel, delay-ms, payload...
 * Stores as many payloads as `max_length` allows (it bounds the messages
 * waiting: ready plus delayed): at the tail of `ready`, or with a delay in
 * the delayed set, due `delay-ms` from now (a TTL then counts from the due
 * time). Returns `{accepted, fail_mode}`; accepted = -1 for an undeclared
 * queue.
 */
export const PUBLISH = `${LIB}${STORE_DELAYED_LIB}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local meta = redis.call('HMGET', KEYS[1], 'max_length', 'on_full')
local fail = (meta[2] == 'fail') and 1 or 0
local n = #ARGV - 2
local room = n
local max = tonumber(meta[1])
if max and max > 0 then
  room = math.min(n, max - redis.call('LLEN', KEYS[2]) - redis.call('ZCARD', KEYS[3]))
  if room <= 0 then return {0, fail} end
end
local delay = tonumber(ARGV[2])
if delay > 0 then
  local prefix = ttl_prefix(KEYS[1], delay) or ''
  local due = string.format('%.0f', due_after(delay))
  local tag = redis.call('HINCRBY', KEYS[1], 'seq', room) - room
  for i = 3, room + 2, 500 do
    local args = {}
    for k = i, math.min(i + 499, room + 2) do
      args[#args + 1] = due
      args[#args + 1] = delayed_member(tag + k - 2, prefix .. ARGV[k])
    end
    redis.call('ZADD', KEYS[3], unpack(args))
  end
  notify_if_earliest(KEYS[3], delayed_member(tag + 1, prefix .. ARGV[3]), ARGV[1], delay)
  return {room, fail}
end
local prefix = ttl_prefix(KEYS[1])
local len = 0
for i = 3, room + 2, 1000 do
  local j = math.min(i + 999, room + 2)
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
 * KEYS ready, proc, meta, delayed; ARGV count, room-channel, notify-channel, [acked-from, acked-to]...
 * First removes the acked tokens (inclusive ranges) from the processing
 * hash: a consumer that fetches right after acking pays one round trip for
 * both. Then moves the messages whose delay is over from the delayed set to the
 * tail of `ready` (at most `PROMOTE_LIMIT`, in due order). Then pops up to
 * `count` live messages (dropping expired ones), records them in the
 * consumer's processing hash under fresh tokens, and returns
 * `{first_token, payloads, wait}` (`first_token` 0 and no payloads when
 * the queue is empty), where `wait` is the ms until the next delayed
 * message is due (0: more are due already; -1: none waits).
 *
 * It never pops what it cannot hand back: an entry it does not recognise
 * (neither `[` nor a `<digits>|[` stamp: written by another program) is moved
 * like any other and classified by the client, which dead-letters or parks
 * it; and if recording the batch fails (a key of the wrong type), the
 * popped entries go back to the head before the error is returned.
 */
export const FETCH = `${LIB}${PROMOTE_DUE_LIB}
local n = tonumber(ARGV[1])
for i = 4, #ARGV - 1, 2 do
  local from, to = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  while from <= to do
    local last = math.min(to, from + 999)
    local fields = {}
    for t = from, last do fields[t - from + 1] = t end
    redis.call('HDEL', KEYS[2], unpack(fields))
    from = last + 1
  end
end
local promoted, wait = promote(KEYS[4], KEYS[1])
local before = redis.call('LLEN', KEYS[1])
if before == 0 then return {0, {}, wait} end
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
      local stamp = string.match(v, '^(%d+)|%[')
      if not stamp then
        out[#out + 1] = v
      else
        if not now then now = now_ms() end
        if tonumber(stamp) > now then out[#out + 1] = v else expired = expired + 1 end
      end
    end
  end
end
if expired > 0 then redis.pcall('HINCRBY', KEYS[3], 'expired', expired) end
local first = 0
if #out > 0 then
  local last = redis.pcall('HINCRBY', KEYS[3], 'seq', #out)
  if type(last) == 'table' then
    push_front(KEYS[1], out)
    return last
  end
  first = last - #out + 1
  for i = 1, #out, 500 do
    local args = {}
    for k = i, math.min(i + 499, #out) do
      args[#args + 1] = first + k - 1
      args[#args + 1] = out[k]
    end
    local r = redis.pcall('HSET', KEYS[2], unpack(args))
    if type(r) == 'table' then
      -- Only the first HSET can fail (a key's type does not change within a script).
      push_front(KEYS[1], out)
      return r
    end
  end
end
local max = tonumber(redis.pcall('HGET', KEYS[3], 'max_length'))
if max and max > 0 and before + redis.call('ZCARD', KEYS[4]) >= max then redis.call('PUBLISH', ARGV[2], '') end
-- Moved onto an empty list and more than this consumer took: wake the others.
if promoted == before and promoted > #out + expired then redis.call('PUBLISH', ARGV[3], '') end
if #out == 0 then return {0, {}, wait} end
return {first, out, wait}
`;

/**
 * KEYS proc, ready, delayed; ARGV token, payload, notify-channel, delay-ms.
 * Moves a held message, with new content, to the tail of `ready`, or with
 * a delay (retry backoff) into the delayed set, due `delay-ms` from now;
 * one step either way. 0 if it was no longer held (already reclaimed by a
 * reaper: the reclaimed copy wins).
 */
export const REQUEUE = `${LIB}${STORE_DELAYED_LIB}
local delay = tonumber(ARGV[4])
if delay > 0 then
  -- Stored before removed: if the delayed key is not a ZSET, this fails with the message still held.
  local member = delayed_member(tonumber(ARGV[1]), ARGV[2])
  -- Already there: this is a retry of a requeue whose reply was lost; keep its due time.
  if redis.call('ZADD', KEYS[3], 'NX', string.format('%.0f', due_after(delay)), member) == 0 then return 0 end
  if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
    redis.call('ZREM', KEYS[3], member)
    return 0
  end
  notify_if_earliest(KEYS[3], member, ARGV[3], delay)
  return 1
end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('RPUSH', KEYS[2], ARGV[2]) == 1 then redis.call('PUBLISH', ARGV[3], '') end
return 1
`;

/**
 * KEYS proc, target-meta, target-ready; ARGV token, payload, notify-channel.
 * Moves a held message to another queue (stamped with that queue's TTL).
 * -1 if the target is not declared (the message stays held), 0 if no longer held.
 */
export const DEAD_LETTER = `${LIB}
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
local prefix = ttl_prefix(KEYS[2])
local v = ARGV[2]
if prefix then v = prefix .. v end
if redis.call('RPUSH', KEYS[3], v) == 1 then redis.call('PUBLISH', ARGV[3], '') end
return 1
`;

/**
 * KEYS proc, dlq-meta, dlq-ready, parked; ARGV token, payload, dlq-notify-channel, use-dlq (1/0).
 * Moves an undecodable entry out of the processing hash: to the dead-letter
 * queue when asked and that queue is declared (stamped with its TTL), else
 * onto the parked list. Returns 1 (dead-lettered), 2 (parked) or 0 (no
 * longer held: a reaper or a leave took it back first).
 */
export const QUARANTINE = `${LIB}
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then
  local v = ARGV[2]
  local prefix = ttl_prefix(KEYS[2])
  if prefix then v = prefix .. v end
  if redis.call('RPUSH', KEYS[3], v) == 1 then redis.call('PUBLISH', ARGV[3], '') end
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
redis.call('RPUSH', KEYS[4], ARGV[2])
redis.call('HDEL', KEYS[1], ARGV[1])
return 2
`;

/**
 * KEYS proc, ready; ARGV notify-channel, token...
 * Puts held messages back at the head, untouched, keeping the given order.
 */
export const RELEASE = `
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
