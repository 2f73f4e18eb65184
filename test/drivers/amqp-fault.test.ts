import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { eventually, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { AMQP_URL, destroyQueue, withRawChannel } from './amqp/broker-helpers.ts';
import { TcpFaultProxy } from '../support/tcp-fault-proxy.ts';

const broker = new URL(AMQP_URL);

/** The broker URL with the port of `proxy`. */
function viaProxy(proxy: TcpFaultProxy): string {
  const u = new URL(AMQP_URL);
  u.port = String(proxy.port);
  return u.toString();
}

/**
 * A runtime whose AMQP driver reaches the broker only through `proxy`, with
 * one queue and a consumer recording the `n` of every body it handles.
 */
function proxiedRuntime(proxy: TcpFaultProxy, queue: string, handled: number[], extraDriverFields = ''): Runtime {
  const yaml = `
namespace: t
entries:
  - name: rabbit
    kind: queue.driver.amqp
    url: "${viaProxy(proxy)}"
    reconnect_delay: 50ms
    reconnect_max_delay: 200ms
    publish_timeout: 20s
    ${extraDriverFields}
    lifecycle: { auto_start: true, stop_timeout: 5s }
  - { name: q, kind: queue.queue, driver: t:rabbit, queue_name: ${queue} }
  - { name: c, kind: queue.consumer, queue: t:q, func: t:h, concurrency: 4, prefetch: 20, lifecycle: { auto_start: true } }
`;
  return createRuntime({
    registry: parseConfigText(yaml, '<inline>', { extraFunctionIds: ['t:h'] }),
    logger: silentLogger,
    functions: { 't:h': async (body) => void handled.push((body as { n: number }).n) },
  });
}

/** The driver actor's state, as the runtime reports it (`{"running":"connected"}`, `{"running":"reconnecting"}`, ...). */
/** Whether the broker has `name`, asked on a connection of the test's own (not through the proxy). */
async function queueExists(name: string): Promise<boolean> {
  return withRawChannel(async (ch) => {
    ch.on('error', () => undefined);
    return ch.checkQueue(name).then(
      () => true,
      () => false,
    );
  });
}

const driverState = (runtime: Runtime): string => JSON.stringify(runtime.system.get('t:rabbit')?.getSnapshot().value);
const CONNECTED = JSON.stringify({ running: 'connected' });

describe('amqp: connection cuts through a fault proxy (the shared broker is never touched)', () => {
  const proxies: TcpFaultProxy[] = [];
  const runtimes: Runtime[] = [];
  const queues: string[] = [];
  const setup = async (extraDriverFields = '') => {
    const proxy = await TcpFaultProxy.start({ host: broker.hostname, port: Number(broker.port || 5672) });
    proxies.push(proxy);
    const queue = uniqueQueueName('fault');
    queues.push(queue);
    const handled: number[] = [];
    const runtime = proxiedRuntime(proxy, queue, handled, extraDriverFields);
    runtimes.push(runtime);
    await runtime.start();
    return { proxy, queue, handled, runtime };
  };
  afterAll(async () => {
    for (const r of runtimes) await r.stop().catch(() => undefined);
    for (const p of proxies) await p.close();
    for (const q of queues) await destroyQueue(q).catch(() => undefined);
    // Stopping runtimes and deleting queues can take a while on a loaded machine; a cut-short hook would leave queues behind.
  }, 60_000);

  it('publishing and consuming resume by themselves after repeated cuts under load; every confirmed message is handled', async () => {
    const { proxy, handled, runtime } = await setup();
    const confirmed: number[] = [];
    let failed = 0;
    let stopPublishing = false;
    const publisher = (async () => {
      for (let n = 0; !stopPublishing; n += 20) {
        const bodies = Array.from({ length: 20 }, (_, i) => ({ n: n + i }));
        // A cut can fail a batch whose confirms were lost; at-least-once, so such a batch may still arrive.
        const ok = await runtime.publishBatch('t:q', bodies).then(
          () => confirmed.push(...bodies.map((b) => b.n)),
          () => void failed++,
        );
        // A failure can be immediate: yield to the event loop rather than spin.
        if (ok === undefined) await sleep(10);
      }
    })();
    try {
      for (let cut = 0; cut < 3; cut++) {
        await eventually(() => confirmed.length >= (cut + 1) * 200, 20_000, `progress before cut ${cut + 1}`);
        const handledBefore = handled.length;
        expect(proxy.cut()).toBeGreaterThan(0);
        // Back by itself: new connection through the proxy, consumption re-attached.
        await eventually(() => handled.length > handledBefore + 50, 20_000, `consuming after cut ${cut + 1}`);
      }
    } finally {
      stopPublishing = true;
      await publisher;
    }
    await eventually(
      () => {
        const seen = new Set(handled);
        return confirmed.every((n) => seen.has(n));
      },
      20_000,
      'every confirmed message handled',
    );
    expect(proxy.accepted).toBeGreaterThanOrEqual(4);
    expect(driverState(runtime)).toBe(CONNECTED);
    expect(runtime.system.get('t:c')?.getSnapshot().value).toBe('running');
    expect(failed).toBeLessThan(10);
  }, 90_000);

  it('a broker that comes back without the queue: the driver declares it again on reconnect', async () => {
    const { proxy, queue, handled, runtime } = await setup();
    await runtime.publish('t:q', { n: 1 });
    await eventually(() => handled.length === 1, 10_000, 'first message');
    await proxy.down();
    await eventually(() => driverState(runtime) !== CONNECTED, 10_000, 'connection lost');
    // The broker "comes back empty": the queue is gone while we are away.
    await destroyQueue(queue);
    expect(await queueExists(queue)).toBe(false);
    await proxy.up();
    await eventually(() => driverState(runtime) === CONNECTED, 10_000, 'reconnected');
    expect(await queueExists(queue)).toBe(true);
    await runtime.publish('t:q', { n: 2 });
    await eventually(() => handled.includes(2), 10_000, 'a message after the reconnect');
    expect(await runtime.info('t:q')).toMatchObject({ message_count: 0, consumer_count: 1 });
  }, 60_000);

  it('a stalled network is noticed by heartbeats; after it clears, a publish made during the stall is delivered', async () => {
    const { proxy, handled, runtime } = await setup('heartbeat: 1s');
    await runtime.publish('t:q', { n: 1 });
    await eventually(() => handled.length === 1, 10_000, 'first message');
    const acceptedBefore = proxy.accepted;
    proxy.pause();
    const during = runtime.publish('t:q', { n: 2 });
    // Two missed heartbeats and amqplib gives the socket up; the driver reconnects (into the stall, then through).
    await eventually(() => driverState(runtime) !== CONNECTED, 15_000, 'stall detected');
    await sleep(200);
    proxy.resume();
    await during;
    await eventually(() => handled.includes(2), 15_000, 'the stalled publish delivered');
    expect(proxy.accepted).toBeGreaterThan(acceptedBefore);
    expect(driverState(runtime)).toBe(CONNECTED);
  }, 60_000);
});
