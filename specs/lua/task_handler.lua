local json = require("json")
local logger = require("logger")

local function handler(body)
    local data = json.decode(body)

    logger.info("Processing", {task_id = data.id})

    local result, err = process_task(data)
    if err then
        return nil, err  -- Nack: 메시지 재큐잉
    end

    return result  -- Ack: 큐에서 제거
end

return handler
