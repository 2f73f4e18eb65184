-- Prelude for the seed's task_handler.lua, which calls a global
-- `process_task(data)` that the seed never defines. Listed under
-- `prelude:` of the function entry, it runs once per Lua state before the
-- handler script, in the same sandbox.
--
--   fail = true   -> returns nil, err   (the handler nacks: requeue)
--   crash = true  -> raises an error    (the handler nacks, logged)
--   otherwise     -> returns a result   (the handler acks)
function process_task(data)
    if data.fail then
        return nil, "task " .. tostring(data.id) .. " failed"
    end
    if data.crash then
        error("task " .. tostring(data.id) .. " crashed")
    end
    return { id = data.id, action = data.action, status = "done" }
end
