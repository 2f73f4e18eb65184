import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { REDIS_URL, deletePrefix } from '../drivers/redis/redis-test-env.ts';
import { AMQP_URL } from '../drivers/amqp/broker-helpers.ts';

let runtime: Runtime | undefined;
const prefix = `actorq-test:conn-system:${process.pid}:${Date.now()}:`;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  await deletePrefix(prefix);
  runtime = undefined;
});

describe('the connection machine is part of the runtime actor system', () => {
  it('a broker driver connection actor is found as <driver id>#connection and seen by the inspector', async () => {
    const seen = new Set<string>();
    const yaml = `
namespace: s
entries:
  - { name: r, kind: queue.driver.redis, url: "${REDIS_URL}", key_prefix: "${prefix}", lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: s:r }
`;
    runtime = createRuntime({
      registry: parseConfigText(yaml, '<test>'),
      logger: silentLogger,
      inspect: (e: InspectionEvent) => {
        if (e.type === '@xstate.actor') seen.add(String((e.actorRef as { id?: string }).id));
      },
    });
    await runtime.start();
    const connection = runtime.system.get('s:r#connection');
    expect(connection).toBeDefined();
    expect(connection!.getSnapshot().value).toBe('connected');
    expect([...seen].some((id) => /connection/.test(id))).toBe(true);
    await runtime.stop();
    expect(connection!.getSnapshot().value).toBe('closed');
  });

  it('so is an AMQP driver connection actor', async () => {
    const yaml = `
namespace: a
entries:
  - { name: b, kind: queue.driver.amqp, url: "${AMQP_URL}", lifecycle: { auto_start: true } }
`;
    runtime = createRuntime({ registry: parseConfigText(yaml, '<test>'), logger: silentLogger });
    await runtime.start();
    expect(runtime.system.get('a:b#connection')!.getSnapshot().value).toBe('connected');
    await runtime.stop();
    expect(runtime.system.get('a:b#connection')!.getSnapshot().value).toBe('closed');
  });
});
