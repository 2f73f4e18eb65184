import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { until } from '../support/runtime-kit.ts';

/*
 * Delays from Lua handlers, through the runtime on the memory driver:
 * `msg:nack({ delay = ... })`, `return nil, err` with `retry_after`, and
 * `queue.publish(id, data, { delay = ... })`. The queue's own policy waits
 * 5 s, so a retry well before that shows the handler's delay won.
 */

const HANDLER = `
local queue = require("queue")
return function(body)
  local msg = queue.message()
  local attempts = msg:header("attempts") or 0
  queue.publish("t:rec", { mode = body.mode, attempts = attempts })
  if body.mode == "publish" then
    local ok, err = queue.publish("t:rec", { mode = "delayed" }, { delay = "200ms", k = "v" })
    if not ok then return nil, err end
    return true
  end
  if attempts > 0 then return true end
  if body.mode == "nack" then msg:nack({ delay = "200ms" }); return true end
  if body.mode == "retry_after" then return nil, { message = "busy", retry_after = "200ms" } end
  if body.mode == "retry_after_ms" then return nil, { message = "busy", retry_after = 200 } end
  if body.mode == "raised" then error({ message = "busy", retry_after = 200 }) end
  return true
end
`;

const YAML = `
namespace: t
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: t:d, retry: { initial_delay: 5s, jitter: 0 } }
  - { name: rec, kind: queue.queue, driver: t:d }
  - { name: c, kind: queue.consumer, queue: t:q, func: t:h, lifecycle: { auto_start: true } }
  - { name: rc, kind: queue.consumer, queue: t:rec, func: t:rh, lifecycle: { auto_start: true } }
  - { name: h, kind: function.lua, source: file://handler.lua, modules: [queue] }
`;

let dir: string;
let runtime: Runtime | undefined;
let records: { body: Record<string, unknown>; headers: Record<string, unknown>; at: number }[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'actorq-lua-delays-'));
  writeFileSync(join(dir, 'handler.lua'), HANDLER);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

async function start(): Promise<Runtime> {
  records = [];
  const registry = parseConfigText(YAML, join(dir, 'queue.yaml'), { extraFunctionIds: ['t:rh'] });
  runtime = createRuntime({
    registry,
    logger: silentLogger,
    functions: { 't:rh': (body, ctx) => void records.push({ body, headers: { ...ctx.message.headers }, at: performance.now() }) },
  });
  await runtime.start();
  return runtime;
}

describe('delays from Lua handlers', () => {
  it.each(['nack', 'retry_after', 'retry_after_ms', 'raised'])('%s: the next attempt waits the delay the script asked for, not the policy', async (mode) => {
    const rt = await start();
    const sent = performance.now();
    await rt.publish('t:q', { mode });
    await until(() => records.some((r) => r.body['attempts'] === 1), 'the second attempt', 4000);
    const second = records.find((r) => r.body['attempts'] === 1)!;
    expect(second.at - sent).toBeGreaterThanOrEqual(200);
    await until(() => rt.consumerStats('t:c').acked === 1, 'the ack of the second attempt');
    expect(rt.consumerStats('t:c').nacked).toBe(1);
  });

  it('queue.publish with a delay header: delivered no sooner, the header consumed', async () => {
    const rt = await start();
    const sent = performance.now();
    await rt.publish('t:q', { mode: 'publish' });
    await until(() => records.some((r) => r.body['mode'] === 'delayed'), 'the delayed message', 4000);
    const delayed = records.find((r) => r.body['mode'] === 'delayed')!;
    expect(delayed.at - sent).toBeGreaterThanOrEqual(200);
    expect(delayed.headers['k']).toBe('v');
    expect(delayed.headers).not.toHaveProperty('delay');
  });
});
