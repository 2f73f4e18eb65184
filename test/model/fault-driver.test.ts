import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/errors/config-error.ts';
import { GatedHandler } from '../../src/testing/gated-handler.ts';
import { createTestRuntime, type TestRuntime } from '../../src/testing/test-runtime.ts';
import { until } from '../../src/testing/until.ts';

/**
 * The kit's fault driver and test runtime, fault by fault, on a
 * configuration written for AMQP: each fault has the effect its
 * documentation names, seen through the runtime's public API and actors.
 */
const yaml = (consumer = '') => `namespace: f
entries:
  - name: broker
    kind: queue.driver.amqp
    url: "amqp://guest:guest@127.0.0.1:5672"
    lifecycle: { auto_start: true, stop_timeout: 1s, restart: { initial_delay: 10ms, max_delay: 10ms, jitter: 0 } }
  - { name: q, kind: queue.queue, driver: f:broker }
  - name: c
    kind: queue.consumer
    queue: f:q
    func: f:h
    prefetch: 1
    lifecycle: { auto_start: true, stop_timeout: 1s, restart: { initial_delay: 10ms, max_delay: 10ms, jitter: 0 } }
${consumer}`;

let t: TestRuntime | undefined;
let gate: GatedHandler | undefined;
afterEach(async () => {
  gate?.finishAll();
  await t?.dispose();
  t = gate = undefined;
});

const start = async (handler?: (body: unknown) => Promise<void>) => {
  const g = (gate = new GatedHandler());
  const test = (t = createTestRuntime({ yaml: yaml(), functions: { 'f:h': handler ?? g.handler } }));
  await test.runtime.start();
  return { test, g, driver: test.driver('f:broker') };
};

describe('createTestRuntime', () => {
  it('validates the configuration as its real kind does (a wrong AMQP field is a ConfigError naming it)', () => {
    const bad = yaml().replace('url: "amqp://guest:guest@127.0.0.1:5672"', 'url: "amqp://x"\n    heartbeat_typo: 5');
    expect(() => createTestRuntime({ yaml: bad, functions: { 'f:h': async () => {} } })).toThrow(ConfigError);
    expect(() => createTestRuntime({ yaml: bad, functions: { 'f:h': async () => {} } })).toThrow(/heartbeat_typo/);
  });

  it('runs the configuration without a broker: every driver is a fault driver, messages flow', async () => {
    const seen: unknown[] = [];
    const { test } = await start(async (body) => void seen.push(body));
    expect(test.state('f:broker')).toBe('running.connected');
    await test.runtime.publish('f:q', { n: 1 });
    await until(() => expect(seen).toEqual([{ n: 1 }]));
    await until(() => expect(test.runtime.consumerStats('f:c').acked).toBe(1));
  });

  it('driver() before load names the reason', () => {
    const test = (t = createTestRuntime({ yaml: yaml(), functions: { 'f:h': async () => {} } }));
    expect(() => test.driver('f:broker')).toThrow(/not loaded yet/);
  });
});

describe('FaultDriver faults', () => {
  it('failStart: the driver restarts until the start succeeds', async () => {
    const test = (t = createTestRuntime({ yaml: yaml(), functions: { 'f:h': async () => {} } }));
    await test.runtime.load();
    const driver = test.driver('f:broker');
    driver.faults.failStart = true;
    test.mark();
    const started = test.track(test.runtime.start());
    await until(() => expect(test.trace('f:broker')).toContain('restarting'));
    driver.faults.failStart = false;
    await test.waitForState('f:broker', 'running.connected');
    expect((await started).ok).toBe(false); // start() reports the first failure; the restart goes on
  });

  it('failConsume: the consumer start fails and restarts; once consume works it runs', async () => {
    const test = (t = createTestRuntime({ yaml: yaml(), functions: { 'f:h': async () => {} } }));
    await test.runtime.load();
    test.driver('f:broker').faults.failConsume = true;
    test.mark();
    void test.track(test.runtime.start());
    await until(() => expect(test.trace('f:c')).toContain('restarting'));
    test.driver('f:broker').faults.failConsume = false;
    await test.waitForState('f:c', 'running');
  });

  it('consumeDelay opens on its timer even when the wall clock lags behind it', async () => {
    const test = (t = createTestRuntime({ yaml: yaml(), functions: { 'f:h': async () => {} } }));
    await test.runtime.load();
    test.driver('f:broker').faults.consumeDelay = 50;
    await test.runtime.start();
    await test.runtime.publish('f:q', { n: 1 });
    // A timer can fire a moment before Date.now() reaches its due time; frozen, it never does.
    const frozen = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(frozen);
    try {
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      clock.mockRestore();
    }
    await until(() => expect(test.runtime.consumerStats('f:c').acked).toBe(1));
  });

  it('consumeDelay: a new subscription delivers nothing until the delay passed', async () => {
    const test = (t = createTestRuntime({ yaml: yaml(), functions: { 'f:h': async () => {} } }));
    await test.runtime.load();
    test.driver('f:broker').faults.consumeDelay = 300;
    await test.runtime.start();
    await test.runtime.publish('f:q', { n: 1 });
    // Published and consumed, but not yet delivered.
    expect(test.runtime.consumerStats('f:c').delivered).toBe(0);
    await until(() => expect(test.runtime.consumerStats('f:c').acked).toBe(1));
  });

  it('ackDelay: the ack is confirmed later, and a stop waits for it', async () => {
    const { test, driver } = await start(async () => {});
    driver.faults.ackDelay = 200;
    await test.runtime.publish('f:q', { n: 1 });
    await until(() => expect(test.runtime.consumerStats('f:c').acked).toBe(1));
    expect((await driver.inner.info('q')).in_flight).toBe(1);
    await test.runtime.stopEntry('f:c');
    expect((await driver.inner.info('q')).message_count).toBe(0);
  });

  it('failAck: the broker never got the ack, the message is delivered again (at-least-once)', async () => {
    const bodies: unknown[] = [];
    const { test, driver } = await start(async (body) => void bodies.push(body));
    driver.faults.failAck = true;
    await test.runtime.publish('f:q', { n: 1 });
    await until(() => expect(bodies.length).toBeGreaterThanOrEqual(2));
    driver.faults.failAck = false;
    await until(async () => expect((await driver.inner.info('q')).message_count).toBe(0));
    expect(bodies.every((b) => (b as { n: number }).n === 1)).toBe(true);
  });

  it('breakSubscriptions: the consumer restarts and consumes again', async () => {
    const { test, driver, g } = await start();
    test.mark();
    driver.breakSubscriptions();
    await until(() => expect(test.trace('f:c')).toEqual(['restarting', 'starting', 'running']));
    await test.runtime.publish('f:q', { n: 1 });
    await until(() => expect(g.calls).toHaveLength(1));
  });

  it('dropConnection: the driver reconnects, publishes are refused, deliveries wait; restoreConnection: they flow', async () => {
    const { test, driver, g } = await start();
    // One in the handler, one in the consumer's prefetch buffer, one left in the broker.
    await test.runtime.publishBatch('f:q', [{ n: 1 }, { n: 2 }, { n: 3 }]);
    await until(() => expect(test.runtime.consumerStats('f:c').buffered).toBe(1));
    driver.dropConnection();
    await test.waitForState('f:broker', 'running.reconnecting');
    expect(test.runtime.system.get('f:broker')!.getSnapshot().context).toMatchObject({ reconnectAttempt: 1, error: 'fault: connection lost' });
    await expect(test.runtime.publish('f:q', { n: 4 })).rejects.toMatchObject({ code: 'DRIVER_UNAVAILABLE' });
    g.open[0]!.finish();
    // The freed worker takes the buffered message; the broker's one waits while the connection is down.
    await until(() => expect(g.calls).toHaveLength(2));
    g.open[0]!.finish();
    await until(() => expect(test.runtime.consumerStats('f:c').acked).toBe(2));
    expect(g.calls).toHaveLength(2);
    expect((await driver.inner.info('q')).message_count).toBe(1);
    driver.restoreConnection();
    await test.waitForState('f:broker', 'running.connected');
    await until(() => expect(g.calls).toHaveLength(3));
    await test.runtime.publish('f:q', { n: 4 });
  });

  it('failConnection: the driver gives up and restarts under its restart policy', async () => {
    const { test, driver } = await start();
    const startsBefore = driver.pending.start;
    test.mark();
    driver.failConnection();
    await until(() => expect(test.trace('f:broker')).toEqual(['restarting', 'starting', 'running.connected']));
    expect(driver.pending.start).toBe(startsBefore);
  });

  it('failStop and stopDelay: a failing close still stops (error kept); a slow one past stop_timeout is reported', async () => {
    const { test, driver } = await start(async () => {});
    driver.faults.failStop = true;
    await test.runtime.stop();
    expect(test.state('f:broker')).toBe('stopped');
    expect(test.runtime.system.get('f:broker')!.getSnapshot().context).toMatchObject({ error: 'fault: close of f:broker fails' });
    driver.faults.failStop = false;
    driver.faults.stopDelay = 2000;
    await test.runtime.start();
    const stopped = await test.track(test.runtime.stop());
    expect(test.state('f:broker')).toBe('stopped');
    expect(test.runtime.system.get('f:broker')!.getSnapshot().context).toMatchObject({ stopTimedOut: true });
    expect(stopped.ok).toBe(false);
    expect((stopped as { error: unknown }).error).toMatchObject({ code: 'STOP_TIMEOUT', message: expect.stringContaining('f:broker') });
  });
});
