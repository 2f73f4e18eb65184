-- Runs once in every Lua state before the user's files. Receives the JS
-- bridge, the modules the entry lists, the function's ID and `log` (a C
-- function: the per-message path, see lua-native.ts). It removes
-- what would let a script reach the host (files, environment, bytecode)
-- and installs `require`, which hands out only the listed modules.
-- The bridge stays in upvalues here, so scripts never see it.
local bridge, listed, function_id, native_log = ...

-- Sandbox: no files, no environment, no processes, no native loading.
io, dofile, loadfile, package, debug = nil, nil, nil, nil, nil
local os_time, os_clock, os_date, os_difftime = os.time, os.clock, os.date, os.difftime
os = { time = os_time, clock = os_clock, date = os_date, difftime = os_difftime }
-- Precompiled bytecode can corrupt the VM: text chunks only.
string.dump = nil
local raw_load = load
load = function(chunk, name, _mode, env)
  return raw_load(chunk, name, "t", env)
end

local modules = {}

-- json -----------------------------------------------------------------
modules.json = {
  encode = function(value)
    return bridge.json_encode(value)
  end,
  -- The consumer hands the body over already decoded; the seed's handler
  -- decodes it again, so anything but a string comes back unchanged.
  decode = function(value)
    if type(value) ~= "string" then
      return value
    end
    return bridge.json_decode(value)
  end,
}

-- logger ---------------------------------------------------------------
local function log_at(level)
  return function(message, fields, ...)
    -- Wippy's docs call both logger.info(msg) and logger:info(msg); with the
    -- colon the module itself arrives first, so shift it away.
    if message == modules.logger then
      message, fields = fields, ...
    end
    if type(fields) ~= "table" then
      fields = nil
    end
    native_log(level, tostring(message), fields)
  end
end
modules.logger = { debug = log_at("debug"), info = log_at("info"), warn = log_at("warn"), error = log_at("error") }

-- queue ----------------------------------------------------------------
-- A message object carries the token of the call that created it; the
-- bridge refuses tokens of calls that have finished ("released").
local TOKEN = {}
local function token_of(self)
  return type(self) == "table" and self[TOKEN] or nil
end
local message_methods = {}
for _, op in ipairs({ "id", "header", "headers", "ack", "nack" }) do
  message_methods[op] = function(self, arg)
    return bridge.message(token_of(self), op, arg)
  end
end
local message_meta = { __index = message_methods, __metatable = false }

modules.queue = {
  -- publish and info return JS promises; :await() yields this coroutine
  -- until they settle, and the JS run loop resumes it.
  publish = function(queue_id, data, headers)
    return bridge.publish(queue_id, data, headers):await()
  end,
  info = function(queue_id)
    return bridge.info(queue_id):await()
  end,
  message = function()
    local token, err = bridge.message_token()
    if not token then
      return nil, err
    end
    return setmetatable({ [TOKEN] = token }, message_meta)
  end,
}

-- security -------------------------------------------------------------
-- The consumer's actor and policies live on the main thread: both calls
-- ask there (awaiting, like queue.publish). An actor object answers
-- actor:id() and actor:meta(), as in Wippy.
local function wrap_actor(data)
  local id, meta = data.id, data.meta or {}
  local methods = {
    id = function()
      return id
    end,
    meta = function()
      return meta
    end,
  }
  return setmetatable({}, { __index = methods, __metatable = false })
end

modules.security = {
  actor = function()
    local data, err = bridge.security_actor():await()
    if data == nil then
      return nil, err
    end
    return wrap_actor(data)
  end,
  can = function(action, resource, meta)
    return bridge.security_can(action, resource, meta):await()
  end,
}

-- require --------------------------------------------------------------
local allowed, names = {}, {}
for _, name in ipairs(listed) do
  allowed[name] = true
  names[#names + 1] = name
end
local listed_text = #names > 0 and table.concat(names, ", ") or "none"

require = function(name)
  if allowed[name] then
    return modules[name]
  end
  if modules[name] then
    error(string.format("module %q is not listed under modules of function %s (listed: %s)", tostring(name), function_id, listed_text), 2)
  end
  error(string.format("module %q not found: function %s may require only its listed modules (%s)", tostring(name), function_id, listed_text), 2)
end
