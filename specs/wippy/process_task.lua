-- The process_task the documentation's handlers call and leave undefined:
-- succeeds unless the task asks to fail.
function process_task(task)
    if type(task) == "table" and task.fail then
        return nil, "task " .. tostring(task.id) .. " failed"
    end
    return { done = true }
end

function process_order(order)
    return process_task(order)
end
