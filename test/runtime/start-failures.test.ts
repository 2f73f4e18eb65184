import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { builtinKinds } from '../../src/kinds/builtin-kinds.ts';
import type { DriverKind, KindCatalog } from '../../src/kinds/kind-descriptors.ts';
import { MemoryDriver } from '../../src/drivers/memory/memory-driver.ts';
import { memoryQueueOptionsSchema } from '../../src/drivers/memory/memory-kind.ts';
import { StartError } from '../../src/errors/lifecycle-errors.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { until } from '../support/runtime-kit.ts';

/** A memory driver whose start fails `failures` times, and whose consumptions can be broken on demand. */
class FlakyDriver extends MemoryDriver {
  static instances: FlakyDriver[] = [];
  failures: number;
  constructor(id: string, failures: number) {
    super(id);
    this.failures = failures;
    FlakyDriver.instances.push(this);
  }
  override async start(): Promise<void> {
    if (this.failures-- > 0) throw new Error('backend unreachable');
    return super.start();
  }
}

const flakyKind = (failures: number): DriverKind => ({
  kind: 'queue.driver.flaky',
  optionsKey: 'memory',
  schema: z.object({}).strict(),
  queueOptionsSchema: memoryQueueOptionsSchema,
  create: async (entry) => new FlakyDriver(entry.id, failures),
});

const catalog = (failures: number): KindCatalog => ({
  drivers: new Map([...builtinKinds.drivers, ['queue.driver.flaky', flakyKind(failures)]]),
  functions: builtinKinds.functions,
});

const yaml = (maxAttempts: number) => `
namespace: t
entries:
  - name: bad
    kind: queue.driver.flaky
    lifecycle: { auto_start: true, restart: { initial_delay: 10ms, max_delay: 20ms, max_attempts: ${maxAttempts} } }
  - { name: good, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q1, kind: queue.queue, driver: t:bad }
  - { name: q2, kind: queue.queue, driver: t:good }
  - { name: c1, kind: queue.consumer, queue: t:q1, func: t:h, lifecycle: { auto_start: true } }
  - { name: c2, kind: queue.consumer, queue: t:q2, func: t:h, lifecycle: { auto_start: true } }
`;

function make(failures: number, maxAttempts: number): Runtime {
  const kinds = catalog(failures);
  return createRuntime({
    registry: parseConfigText(yaml(maxAttempts), '<test>', { kinds, extraFunctionIds: ['t:h'] }),
    functions: { 't:h': () => {} },
    kinds,
    logger: silentLogger,
  });
}

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

describe('start failures', () => {
  it('a driver that cannot start fails start() naming it and its dependents; independent entries run', async () => {
    runtime = make(100, 1);
    const error = await runtime.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StartError);
    const failures = (error as StartError).failures;
    expect([...failures.keys()]).toEqual(expect.arrayContaining(['t:bad', 't:q1', 't:c1']));
    expect(String(failures.get('t:c1'))).toMatch(/dependency t:q1 failed/);
    expect(runtime.system.get('t:c2')!.getSnapshot().value).toBe('running');
    await until(() => runtime!.system.get('t:bad')!.getSnapshot().value === 'failed', 'bad driver gives up after max_attempts');
    expect(runtime.system.get('t:bad')!.getSnapshot().context.error).toBe('backend unreachable');
  });

  it('a driver that fails once restarts with backoff and then runs', async () => {
    runtime = make(1, 5);
    await runtime.start().catch(() => {}); // the first attempt fails; the restart policy takes over
    await until(() => JSON.stringify(runtime!.system.get('t:bad')!.getSnapshot().value) === '{"running":"connected"}', 'driver restarted');
    await runtime.startEntry('t:c1');
    expect(runtime.system.get('t:c1')!.getSnapshot().value).toBe('running');
  });
});

describe('consumer restart', () => {
  it('a broken subscription sends the consumer through restarting back to running, losing nothing', async () => {
    runtime = make(0, 5);
    await runtime.start();
    const driver = FlakyDriver.instances.at(-1)!;
    await runtime.publishBatch('t:q1', [1, 2, 3]);
    await until(() => runtime!.consumerStats('t:c1').acked === 3, 'first acks');
    const states: string[] = [];
    runtime.events$.subscribe((e) => e.type === 'lifecycle' && e.id === 't:c1' && states.push(e.state));
    // The backend ends every subscription (as a broker cancelling consumers would).
    await driver.stop();
    await driver.start();
    await until(() => states.includes('running'), 'consumer back to running');
    expect(states.slice(0, 3)).toEqual(['restarting', 'starting', 'running']);
    await runtime.publishBatch('t:q1', [4, 5]);
    await until(() => runtime!.consumerStats('t:c1').acked === 5, 'acks after restart');
  });
});

describe('stop while starting', () => {
  it('a start still in progress when the entry is stopped rejects instead of hanging', async () => {
    let release!: () => void;
    class HangingDriver extends MemoryDriver {
      override start(): Promise<void> {
        return new Promise((resolve) => (release = resolve));
      }
    }
    const kinds: KindCatalog = {
      drivers: new Map([...builtinKinds.drivers, ['queue.driver.flaky', { ...flakyKind(0), create: async (entry) => new HangingDriver(entry.id) }]]),
      functions: builtinKinds.functions,
    };
    runtime = createRuntime({ registry: parseConfigText(yaml(1).replaceAll('auto_start: true', 'auto_start: false'), '<test>', { kinds, extraFunctionIds: ['t:h'] }), functions: { 't:h': () => {} }, kinds, logger: silentLogger });
    await runtime.load();
    const starting = runtime.startEntry('t:bad').then(() => 'started', (e: unknown) => e);
    await until(() => runtime!.system.get('t:bad')!.getSnapshot().value === 'starting', 'driver starting');
    const stopping = runtime.stopEntry('t:bad');
    release();
    await stopping;
    const outcome = await starting;
    expect(outcome).toBeInstanceOf(StartError);
    expect(String((outcome as StartError).message)).toMatch(/t:bad: stopped while starting/);
  });
});
