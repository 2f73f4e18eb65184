import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/create-runtime.ts';
import { StopTimeoutError } from '../../src/errors/lifecycle-errors.ts';
import { consumerYaml, gate, runtimeOf, until } from '../support/runtime-kit.ts';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

describe('graceful shutdown', () => {
  it('stop is idempotent and quick when idle', async () => {
    runtime = runtimeOf(consumerYaml(), { 't:h': () => {} });
    await runtime.stop(); // never started
    await runtime.start();
    const t = performance.now();
    await runtime.stop();
    await runtime.stop();
    expect(performance.now() - t).toBeLessThan(1000);
    expect(runtime.root.getSnapshot().value).toBe('stopped');
  });

  it('waits for in-flight handlers, fires their signal, and loses nothing buffered', async () => {
    const inFlight = gate();
    let signalled = 0;
    let handled = 0;
    runtime = runtimeOf(consumerYaml({ concurrency: 2, prefetch: 5 }), {
      't:h': async (_b, ctx) => {
        ctx.signal.addEventListener('abort', () => signalled++);
        await inFlight.promise;
        handled++;
      },
    });
    await runtime.start();
    await runtime.publishBatch('t:q', Array.from({ length: 20 }, (_, i) => i));
    await until(() => runtime!.consumerStats('t:c').running === 2 && runtime!.consumerStats('t:c').buffered === 5, 'busy and full');
    const stopping = runtime.stop();
    await until(() => signalled === 2, 'signals fired');
    // Stop receiving: the 5 buffered went back, nothing new started.
    expect(runtime.consumerStats('t:c').released).toBe(5);
    inFlight.open();
    await stopping;
    expect(handled).toBe(2);
    const s = runtime.consumerStats('t:c');
    expect(s.acked).toBe(2);
    // Nothing lost: acked + still queued = published.
    await runtime.load();
    const info = await runtime.info('t:q');
    expect(s.acked + info.ready).toBe(20);
  });

  it('buffered messages go back to the head of the queue in order', async () => {
    const block = gate();
    const order: number[] = [];
    runtime = runtimeOf(consumerYaml({ concurrency: 1, prefetch: 3 }), {
      't:h': async (b: number) => {
        order.push(b);
        if (order.length === 1) await block.promise;
      },
    });
    await runtime.start();
    await runtime.publishBatch('t:q', [1, 2, 3, 4, 5, 6]);
    await until(() => runtime!.consumerStats('t:c').buffered === 3, 'buffer full');
    const stopping = runtime.stop();
    await until(() => runtime!.consumerStats('t:c').released === 3, 'released');
    block.open();
    await stopping;
    await runtime.start();
    await until(() => runtime!.consumerStats('t:c').acked === 6, 'all acked after restart');
    expect(order).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a handler stuck past stop_timeout makes stop() fail naming the consumer, and its message goes back', async () => {
    const never = new Promise<void>(() => {});
    let calls = 0;
    runtime = runtimeOf(consumerYaml({ stopTimeout: '100ms' }), {
      't:h': async () => {
        calls++;
        if (calls === 1) await never;
      },
    });
    const events: string[] = [];
    runtime.events$.subscribe((e) => e.type === 'stop.timeout' && events.push(`${e.id}:${e.released}`));
    await runtime.start();
    await runtime.publish('t:q', 'stuck', { id: 'm-stuck' });
    await until(() => runtime!.consumerStats('t:c').running === 1, 'stuck handler');
    const error = await runtime.stop().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StopTimeoutError);
    expect((error as StopTimeoutError).message).toMatch(/t:c/);
    expect([...(error as StopTimeoutError).pending]).toEqual([['t:c', 1]]);
    expect(events).toEqual(['t:c:1']);
    // The driver stopped after the consumer; the released message is still there.
    expect(await runtime.info('t:q')).toMatchObject({ ready: 1, in_flight: 0 });
    expect(runtime.root.getSnapshot().value).toBe('stopped');
  });

  it('stop order: consumers drain before their driver stops', async () => {
    runtime = runtimeOf(consumerYaml(), { 't:h': () => {} });
    const seen: string[] = [];
    runtime.events$.subscribe((e) => {
      if (e.type === 'lifecycle' && e.kind !== 'worker' && (e.state === 'stopped' || e.state === 'running' || e.state === 'running.connected')) seen.push(`${e.id}:${e.state}`);
    });
    await runtime.start();
    await runtime.stop();
    const idx = (s: string) => seen.indexOf(s);
    expect(idx('t:d:running.connected')).toBeLessThan(idx('t:q:running'));
    expect(idx('t:q:running')).toBeLessThan(idx('t:c:running'));
    expect(idx('t:c:stopped')).toBeLessThan(idx('t:q:stopped'));
    expect(idx('t:q:stopped')).toBeLessThan(idx('t:d:stopped'));
  });

  it('a poison message that fails synchronously, with no dead-letter queue, never starves timers or stop', async () => {
    runtime = runtimeOf(consumerYaml({ concurrency: 4, prefetch: 20 }), {
      't:h': (body: { fail?: boolean }) => {
        if (body.fail) throw new Error('poison');
      },
    });
    await runtime.start();
    await runtime.publish('t:q', { fail: true });
    // A timer must still fire while the message is retried as fast as possible.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await until(() => ticks >= 3, 'timers keep firing');
    clearInterval(timer);
    expect(runtime.consumerStats('t:c').nacked).toBeGreaterThan(3);
    await runtime.stopEntry('t:c');
    expect(runtime.system.get('t:c')!.getSnapshot().value).toBe('stopped');
    expect((await runtime.info('t:q')).ready).toBe(1);
  });
});
