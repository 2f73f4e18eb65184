import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { recordingLogger, until } from '../support/runtime-kit.ts';

let runtime: Runtime | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * The Lua handler tries every security-relevant call and logs what each
 * returned; the test reads the log line (the handler's log lines reach the
 * runtime's logger, bound to its consumer).
 */
const HANDLER = `
local queue = require("queue")
local security = require("security")
local logger = require("logger")
return function(body)
  local actor = security.actor()
  local ok_out, err_out = queue.publish("s:out", { n = 1 })
  local ok_forbidden, err_forbidden = queue.publish("s:forbidden", { secret = "lua-body-text" })
  local ok_other, err_other = queue.publish("s:other", "x")
  local info_out = queue.info("s:out")
  local info_forbidden, err_info = queue.info("s:forbidden")
  logger.info("lua results", {
    actor_id = actor and actor:id() or "none",
    actor_role = actor and actor:meta().role or "none",
    ok_out = ok_out == true,
    err_out = err_out or "",
    ok_forbidden = ok_forbidden == nil,
    err_forbidden = err_forbidden or "",
    ok_other = ok_other == nil,
    err_other = err_other or "",
    info_out = info_out ~= nil,
    info_forbidden = info_forbidden == nil,
    err_info = err_info or "",
    can_out = security.can("queue.publish.queue", "s:out"),
    can_forbidden = security.can("queue.publish.queue", "s:forbidden"),
    can_meta = security.can("document.read", "doc:1", { owner = actor and actor:id() or "" }),
    can_meta_other = security.can("document.read", "doc:1", { owner = "someone" }),
  })
end
`;

function writeConfig(security: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'actorq-lua-security-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'handler.lua'), HANDLER);
  writeFileSync(
    join(dir, 'config.yaml'),
    `namespace: s
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: in, kind: queue.queue, driver: s:d }
  - { name: out, kind: queue.queue, driver: s:d }
  - { name: forbidden, kind: queue.queue, driver: s:d }
  - { name: other, kind: queue.queue, driver: s:d }
  - name: publish
    kind: security.policy
    policy: { actions: queue.publish, resources: "*", effect: allow }
    groups: [lua]
  - name: queues
    kind: security.policy
    policy: { actions: ["queue.publish.queue", "queue.info", "queue.consume"], resources: ["s:in", "s:out", "s:forbidden"], effect: allow }
    groups: [lua]
  - name: no_forbidden
    kind: security.policy
    policy: { actions: "*", resources: s:forbidden, effect: deny }
    groups: [lua]
  - name: owners_read
    kind: security.policy
    policy:
      actions: document.read
      resources: "doc:*"
      effect: allow
      conditions: [{ field: meta.owner, operator: eq, value_from: actor.id }]
    groups: [lua]
  - name: c
    kind: queue.consumer
    queue: s:in
    func: s:h
    lifecycle: { auto_start: true${security} }
  - name: h
    kind: function.lua
    source: file://handler.lua
    modules: [queue, security, logger]
`,
  );
  return dir;
}

async function run(security: string) {
  const logger = recordingLogger();
  runtime = createRuntime({ registry: await loadConfig([writeConfig(security)]), logger });
  await runtime.start();
  await runtime.publish('s:in', { go: 1 });
  await until(() => logger.records.some((r) => r.message === 'lua results'), 'the Lua handler ran', 20_000);
  return { logger, results: logger.records.find((r) => r.message === 'lua results')!.fields! };
}

describe('security through a Lua handler', () => {
  it('checks queue.publish and queue.info with the consumer\'s actor: nil, err on denial, nothing enqueued; security.actor and security.can', async () => {
    const { logger, results } = await run(', security: { actor: { id: "svc:lua", meta: { role: worker } }, groups: [s:lua] }');
    expect(results).toMatchObject({
      consumer: 's:c',
      actor_id: 'svc:lua',
      actor_role: 'worker',
      ok_out: true,
      err_out: '',
      ok_forbidden: true,
      err_forbidden: 'svc:lua may not queue.publish.queue s:forbidden (denied by s:no_forbidden)',
      ok_other: true,
      err_other: 'svc:lua may not queue.publish.queue s:other (no policy allows it)',
      info_out: true,
      info_forbidden: true,
      err_info: 'svc:lua may not queue.info s:forbidden (denied by s:no_forbidden)',
      can_out: true,
      can_forbidden: false,
      can_meta: true,
      can_meta_other: false,
    });
    expect(await runtime!.info('s:forbidden')).toMatchObject({ message_count: 0 });
    expect(await runtime!.info('s:other')).toMatchObject({ message_count: 0 });
    expect(await runtime!.info('s:out')).toMatchObject({ message_count: 1 });
    expect(JSON.stringify(logger.records.filter((r) => r.level === 'warn'))).not.toContain('lua-body-text');
    expect((await runtime!.metrics()).consumers[0]!.denials).toBe(3);
  }, 30_000);

  it('without a security block: no actor, and everything is trusted', async () => {
    const { results } = await run('');
    expect(results).toMatchObject({ actor_id: 'none', ok_out: true, ok_forbidden: false, err_forbidden: '', can_forbidden: true, can_meta_other: true });
    expect(await runtime!.info('s:forbidden')).toMatchObject({ message_count: 1 });
  }, 30_000);
});
