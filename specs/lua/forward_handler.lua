-- Publishes each task it receives to app.queue:results, from Lua, with
-- queue.publish, as the seed's "Publishing from Lua" example does.
local queue = require("queue")
local logger = require("logger")

return function(body)
    local msg = queue.message()
    local ok, err = queue.publish("app.queue:results", {
        id = body.id,
        action = "process",
        data = body.data,
        source_message = msg:id(),
    }, { correlation_id = msg:id() })
    if not ok then
        return nil, err
    end
    logger.info("Forwarded", { task_id = body.id })
    return true
end
