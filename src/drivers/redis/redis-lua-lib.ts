/*
 * Lua helpers shared by the scripts in `redis-lua-moves.ts` and
 * `redis-scripts.ts`, prepended to each script that needs them.
 */

/** Shared Lua helpers, prepended to the scripts that need them. */
export const LIB = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- after: ms until the message becomes deliverable (a delayed publish); its life starts then.
local function ttl_prefix(meta, after)
  local ttl = tonumber(redis.call('HGET', meta, 'message_ttl'))
  if ttl and ttl > 0 then return string.format('%.0f', now_ms() + (after or 0) + ttl) .. '|' end
  return nil
end
local function reclaim(proc, ready)
  local flat = redis.call('HGETALL', proc)
  if #flat == 0 then return 0 end
  local entries = {}
  -- A field that is not a number (not written by actorq) sorts last rather than failing the sort.
  for i = 1, #flat, 2 do entries[#entries + 1] = { tonumber(flat[i]) or 0, flat[i + 1] } end
  table.sort(entries, function(a, b) return a[1] > b[1] end)
  for i = 1, #entries, 500 do
    local batch = {}
    for k = i, math.min(i + 499, #entries) do batch[#batch + 1] = entries[k][2] end
    redis.call('LPUSH', ready, unpack(batch))
  end
  redis.call('DEL', proc)
  return #entries
end
local function push_front(list, items)
  for i = #items, 1, -500 do
    local batch = {}
    for k = i, math.max(1, i - 499), -1 do batch[#batch + 1] = items[k] end
    redis.call('LPUSH', list, unpack(batch))
  end
end
`;
