-- The handler of Wippy's queue page ("Handler Function"), as written there.
local queue = require("queue")
local logger = require("logger")

local function main(body)
    local msg = queue.message()
    logger:info("processing", {
        id = msg:id(),
        correlation_id = msg:header("correlation_id")
    })

    local ok, err = process_task(body)
    if err then
        return false  -- nack: redelivery per driver
    end
    return true       -- ack: remove from queue
end

return { main = main }
