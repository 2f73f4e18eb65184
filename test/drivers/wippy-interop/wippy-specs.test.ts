import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { checkFunctions } from '../../../src/functions/check-functions.ts';
import { isDriverEntry, isQueueEntry, type Registry } from '../../../src/config/registry.ts';
import type { Entry } from '../../../src/config/entry-types.ts';
import { createRuntime, type Runtime } from '../../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../../src/util/logger.ts';
import { recordingLogger } from '../../support/runtime-kit.ts';
import { eventually } from '../conformance-helpers.ts';
import { AMQP_URL, destroyQueue } from '../amqp/broker-helpers.ts';

const dir = fileURLToPath(new URL('../../../specs/wippy/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

/**
 * The registry as written, pointed at the test broker with queue names of
 * its own (the examples name `localhost` and fixed queues; tests running
 * side by side must not share them).
 */
function onTestBroker(registry: Registry, made: string[]): Registry {
  const suffix = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const amqpDrivers = new Set([...registry.entries.values()].filter((e) => isDriverEntry(e) && e.kind === 'queue.driver.amqp').map((e) => e.id));
  const entries = new Map<string, Entry>();
  for (const [id, e] of registry.entries) {
    if (amqpDrivers.has(id) && isDriverEntry(e)) entries.set(id, { ...e, options: { ...e.options, url: AMQP_URL } });
    else if (isQueueEntry(e) && amqpDrivers.has(e.driver)) {
      const name = `${e.queue_name}-${suffix}`;
      made.push(name);
      entries.set(id, { ...e, queue_name: name });
    } else entries.set(id, e);
  }
  return { ...registry, entries };
}

// Every queue example written from Wippy's documentation (specs/wippy/)
// validates as `actorq validate` checks it, and runs.
describe('specs/wippy: the queue examples of Wippy\'s documentation', () => {
  const runtimes: Runtime[] = [];
  const made: string[] = [];

  afterAll(async () => {
    for (const r of runtimes) await r.stop().catch(() => undefined);
    for (const q of made) await destroyQueue(q).catch(() => undefined);
  });

  it('holds the examples', () => {
    expect(files.sort()).toEqual(['amqp.yaml', 'consumers.yaml', 'queue.yaml']);
  });

  it.each(files)('%s validates (no handler code runs)', async (file) => {
    const registry = await loadConfig([join(dir, file)], { logger: silentLogger });
    await expect(checkFunctions(registry, { logger: silentLogger })).resolves.toBeUndefined();
  });

  async function started(file: string) {
    const logger = recordingLogger();
    const registry = onTestBroker(await loadConfig([join(dir, file)], { logger: silentLogger }), made);
    const runtime = createRuntime({ registry, logger });
    runtimes.push(runtime);
    await runtime.start();
    return { runtime, logger };
  }

  it.each([
    ['queue.yaml', 'app.queue:tasks', 'app.queue:task_consumer'],
    ['amqp.yaml', 'app.amqp:tasks', 'app.amqp:task_consumer'],
  ])('%s runs: its Lua handler (the documentation\'s) handles published tasks', async (file, queue, consumer) => {
    const { runtime, logger } = await started(file);
    expect(runtime.system.get(consumer)?.getSnapshot().value).toBe('running');
    for (let i = 0; i < 5; i++) await runtime.publish(queue, { id: `t${i}`, action: 'process' }, { headers: { correlation_id: `c${i}` } });
    await eventually(async () => (await runtime.info(queue)).message_count === 0, 15_000, 'every task handled');
    await runtime.stop();
    // Handled without a single failure (the handler reads queue.message(), msg:id(), msg:header()).
    expect(logger.records.filter((r) => r.level === 'error' || r.level === 'warn')).toEqual([]);
  }, 40_000);

  it('consumers.yaml runs: orders are handled, an order that always fails is dead-lettered after max_attempts', async () => {
    const { runtime } = await started('consumers.yaml');
    await runtime.publish('app:orders', { id: 'o1', amount: 5 });
    await runtime.publish('app:orders', { id: 'o2', fail: true });
    await eventually(async () => (await runtime.info('app:dlq')).message_count === 1, 15_000, 'the failing order dead-lettered');
    await eventually(async () => (await runtime.info('app:orders')).message_count === 0, 15_000, 'orders queue empty');
    await runtime.stop();
  }, 40_000);
});
