import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import type { Handler } from '../../src/functions/handler.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { StartError, StopTimeoutError } from '../../src/errors/lifecycle-errors.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { faultDrivers, kindsWithFaults } from '../../src/testing/fault-kinds.ts';
import type { FaultDriver } from '../../src/testing/fault-driver.ts';
import { gate, until } from '../support/runtime-kit.ts';

/**
 * One test per lifecycle defect found on the old, imperative supervision:
 * each hung, lost a message or broke a newer subscription there. They run
 * the real runtime on a fault-injecting driver (`queue.driver.faulty`).
 */

let counter = 0;
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

interface Spec {
  consumerAutoStart?: boolean;
  stopTimeout?: string;
  timeout?: string;
  concurrency?: number;
  restartDelay?: string;
}

/** A faulty driver `f:d<n>`, queue `f:q`, consumer `f:c` running `handler`. */
function build(handler: Handler, spec: Spec = {}): { runtime: Runtime; driver: () => FaultDriver; ids: { driver: string; queue: string; consumer: string } } {
  const driverName = `d${counter++}`;
  const yaml = `
namespace: f
entries:
  - { name: ${driverName}, kind: queue.driver.faulty, lifecycle: { auto_start: true, stop_timeout: 2s } }
  - { name: q, kind: queue.queue, driver: f:${driverName} }
  - name: c
    kind: queue.consumer
    queue: f:q
    func: f:h
    concurrency: ${spec.concurrency ?? 1}
    prefetch: 5
    ${spec.timeout ? `timeout: ${spec.timeout}` : ''}
    lifecycle:
      auto_start: ${spec.consumerAutoStart ?? true}
      stop_timeout: ${spec.stopTimeout ?? '2s'}
      restart: { initial_delay: ${spec.restartDelay ?? '10ms'}, max_delay: ${spec.restartDelay ?? '10ms'}, jitter: 0 }
`;
  const registry = parseConfigText(yaml, '<test>', { kinds: kindsWithFaults, extraFunctionIds: ['f:h'] });
  const rt = createRuntime({ registry, kinds: kindsWithFaults, functions: { 'f:h': handler }, logger: silentLogger });
  runtime = rt;
  const id = `f:${driverName}`;
  return { runtime: rt, driver: () => faultDrivers.get(id)!, ids: { driver: id, queue: 'f:q', consumer: 'f:c' } };
}

/** Settles a promise into a tagged value, so a test can check it later without an unhandled rejection. */
const settle = <T,>(p: Promise<T>) => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));

describe('lifecycle: every stop, restart and failure path ends and loses nothing', () => {
  it('stop() during a slow queue declaration ends, and the start it interrupted settles', async () => {
    const { runtime: rt, driver } = build(async () => {});
    await rt.load();
    driver().faults.declareDelay = 300;
    const started = settle(rt.start());
    await until(() => driver().pending.declare > 0, 'declaring');
    const t0 = Date.now();
    await rt.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    const start = await started;
    expect(start.ok).toBe(false);
    expect((start as { error: unknown }).error).toBeInstanceOf(StartError);
    expect(String((start as { error: StartError }).error.message)).toMatch(/stopped while starting/);
    expect(rt.root.getSnapshot().value).toBe('stopped');
    for (const id of ['f:q', 'f:c']) expect(rt.system.get(id)!.getSnapshot().value).toBe('stopped');
  });

  it('a handler that outlives stop_timeout cannot touch the subscription of the next start', async () => {
    const first = gate();
    let calls = 0;
    const handled: number[] = [];
    const { runtime: rt, ids } = build(
      async (body) => {
        if (calls++ === 0) await first.promise;
        handled.push((body as { n: number }).n);
      },
      { stopTimeout: '100ms' },
    );
    await rt.start();
    await rt.publish(ids.queue, { n: 0 });
    await until(() => calls === 1, 'first handler running');
    await expect(rt.stopEntry(ids.consumer)).rejects.toBeInstanceOf(StopTimeoutError);
    await rt.startEntry(ids.consumer);
    await until(() => handled.includes(0), 'released message redelivered to the new subscription');
    first.open(); // the abandoned handler returns late
    await new Promise((r) => setTimeout(r, 20));
    for (let n = 1; n <= 5; n++) await rt.publish(ids.queue, { n });
    await until(() => [1, 2, 3, 4, 5].every((n) => handled.includes(n)), 'new messages handled after the late return');
    expect(rt.system.get(ids.consumer)!.getSnapshot().value).toBe('running');
    expect(rt.consumerStats(ids.consumer)).toMatchObject({ running: 0, detached: 0, lateResults: 1 });
  });

  it('stop() during a restart backoff drains the handler of the broken subscription', async () => {
    const hold = gate();
    let running = false;
    const { runtime: rt, driver, ids } = build(
      async () => {
        running = true;
        await hold.promise;
        running = false;
      },
      { restartDelay: '10s' },
    );
    await rt.start();
    await rt.publish(ids.queue, { n: 1 });
    await until(() => running, 'handler running');
    driver().breakSubscriptions();
    await until(() => rt.system.get(ids.consumer)!.getSnapshot().value === 'restarting', 'restarting');
    let stopped = false;
    const stopping = rt.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(stopped).toBe(false); // still draining: the handler runs
    expect(rt.system.get(ids.consumer)!.getSnapshot().value).toBe('draining');
    expect(rt.system.get(ids.driver)!.getSnapshot().matches('running')).toBe(true); // not stopped under the handler
    hold.open();
    await stopping;
    expect(running).toBe(false);
    expect(rt.consumerStats(ids.consumer)).toMatchObject({ acked: 1 });
  });

  it('stop() stops entries started with startEntry(): consumer and driver', async () => {
    const { runtime: rt, ids } = build(async () => {}, { consumerAutoStart: false });
    await rt.load();
    await rt.startEntry(ids.consumer);
    expect(rt.system.get(ids.consumer)!.getSnapshot().value).toBe('running');
    await rt.stop();
    for (const id of [ids.consumer, ids.queue, ids.driver]) expect(rt.system.get(id)!.getSnapshot().value).toBe('stopped');
    await expect(rt.publish(ids.queue, { n: 1 })).rejects.toMatchObject({ code: 'DRIVER_STOPPED' });
  });

  it('a publisher-only script (startEntry(driver), publish, stop) stops its driver', async () => {
    const { runtime: rt, ids } = build(async () => {}, { consumerAutoStart: false });
    await rt.load();
    await rt.startEntry(ids.queue);
    await rt.publish(ids.queue, { n: 1 });
    await rt.stop();
    expect(rt.system.get(ids.driver)!.getSnapshot().value).toBe('stopped');
  });

  it('a handler hung past the consumer timeout frees its worker: the consumer keeps its concurrency', async () => {
    const handled: number[] = [];
    const { runtime: rt, ids } = build(
      async (body) => {
        const n = (body as { n: number }).n;
        if (n === 0) await new Promise(() => {}); // hangs forever
        handled.push(n);
      },
      { timeout: '100ms', concurrency: 1, stopTimeout: '200ms' },
    );
    await rt.start();
    await rt.publish(ids.queue, { n: 0 });
    for (let n = 1; n <= 3; n++) await rt.publish(ids.queue, { n });
    await until(() => [1, 2, 3].every((n) => handled.includes(n)), 'messages after the hung one');
    const stats = rt.consumerStats(ids.consumer);
    expect(stats.detached).toBeGreaterThanOrEqual(1);
    expect(stats.nacked).toBeGreaterThanOrEqual(1);
    expect(rt.system.get(`${ids.consumer}#worker-0`)!.getSnapshot().value).toBe('running');
  });

  it('refuses a duration a timer cannot wait (600h) instead of firing after 1 ms', () => {
    const yaml = `
namespace: f
entries:
  - { name: d, kind: queue.driver.memory }
  - { name: q, kind: queue.queue, driver: f:d }
  - { name: c, kind: queue.consumer, queue: f:q, func: f:h, lifecycle: { stop_timeout: 600h } }
`;
    let error: unknown;
    try {
      parseConfigText(yaml, '<test>', { extraFunctionIds: ['f:h'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/f:c field lifecycle.stop_timeout: duration "600h" exceeds the maximum of 2147483647ms/);
  });

  it('ack() after the handler returned, from a timer, is ignored and logged instead of thrown', async () => {
    const { runtime: rt, ids } = build((_body, ctx) => {
      setTimeout(() => ctx.message.ack(), 10);
    });
    await rt.start();
    await rt.publish(ids.queue, { n: 1 });
    await until(() => rt.consumerStats(ids.consumer).lateSettles === 1, 'late ack recorded');
    expect(rt.consumerStats(ids.consumer)).toMatchObject({ acked: 1, nacked: 0 });
  });
});
