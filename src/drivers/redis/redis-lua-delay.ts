/*
 * Lua helpers for a queue's delayed set (delayed publish, retry backoff),
 * prepended after `LIB` to the scripts that store or move delayed messages.
 *
 * The set is a ZSET scored by due time (ms, Redis's clock). A member is
 * `<15-digit tag>:<entry>`, where the entry is framed exactly like a ready
 * entry (`[` or `<expires-at-ms>|[`). The tag makes two equal entries two
 * members (a ZSET would merge them, losing one), and being fixed-width it
 * orders members with the same due time in the order they were stored, so
 * a batch published with one delay comes out FIFO. Tags come from the
 * queue's token counter `seq` (a delayed publish reserves them) or are the
 * token of the requeued message: both are unique per queue.
 *
 * Nothing moves a due message but the fetch script (see `promote`): there
 * is no timer in Redis, and none is needed, since a message only matters
 * when a consumer asks for one; idle consumers learn the next due time from
 * the fetch reply or the notify channel and fetch then.
 */

/** Most due members one fetch moves to the ready list, so a fetch stays short however many fall due at once. */
export const PROMOTE_LIMIT = 1000;

/** Lua pattern matching actorq's tag at the start of a member; captures where the entry starts. */
const TAG_PATTERN = `^${'%d'.repeat(15)}:()`;

/**
 * Lua helpers that store a delayed message (publish, requeue); need `LIB`
 * before them.
 */
export const STORE_DELAYED_LIB = `
local function delayed_member(tag, entry)
  return string.format('%015.0f', tag) .. ':' .. entry
end
-- Due time of a message delayed by delay ms from now: rounded up, so never early.
local function due_after(delay)
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.ceil(tonumber(t[2]) / 1000) + delay
end
-- Tells idle consumers about a new earliest due time (the member just added), so they wake then
-- (+1: the due time was rounded up, and a wake-up a millisecond early costs a fetch).
local function notify_if_earliest(delayed, member, channel, delay)
  local head = redis.call('ZRANGE', delayed, 0, 0)
  if head[1] == member then redis.call('PUBLISH', channel, string.format('%.0f', delay + 1)) end
end
`;

/**
 * Lua helper that moves due messages to the ready list (fetch); needs
 * `LIB` before it. Kept apart from {@link STORE_DELAYED_LIB} so the fetch
 * script, the hot one, defines only what it uses.
 */
export const PROMOTE_DUE_LIB = `
-- A score as a number (Redis writes infinities as 'inf'/'-inf', which Lua 5.1 may not parse).
local function score_of(s)
  if s == 'inf' then return math.huge elseif s == '-inf' then return -math.huge end
  return tonumber(s)
end
-- ms from now until score: a whole number, at most what a Node timer takes (2^31 - 1).
local function wait_until(score, now)
  local w = math.ceil(score - now)
  if w > 2147483647 then return 2147483647 end
  return math.max(0, w)
end
-- Moves up to ${PROMOTE_LIMIT} due members, in due order, to the tail of ready, tags stripped.
-- Returns the number moved and the ms until the next member is due (-1: none left).
-- With the set empty this is one ZRANGE of a missing key.
local function promote(delayed, ready)
  local head = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
  if #head == 0 then return 0, -1 end
  local now = now_ms()
  local first = score_of(head[2])
  if first > now then return 0, wait_until(first, now) end
  local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', string.format('%.0f', now), 'LIMIT', 0, ${PROMOTE_LIMIT})
  for i = 1, #due, 500 do
    local batch = {}
    for k = i, math.min(i + 499, #due) do
      local v = due[k]
      -- A member without an actorq tag (another program's) moves whole; the client classifies it.
      local at = string.match(v, '${TAG_PATTERN}')
      if at then v = string.sub(v, at) end
      batch[#batch + 1] = v
    end
    -- Pushed before removed: if ready is not a list, this fails with nothing changed.
    redis.call('RPUSH', ready, unpack(batch))
  end
  -- The due members are exactly the lowest ranks.
  redis.call('ZREMRANGEBYRANK', delayed, 0, #due - 1)
  head = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
  if #head == 0 then return #due, -1 end
  return #due, wait_until(score_of(head[2]), now)
end
`;
