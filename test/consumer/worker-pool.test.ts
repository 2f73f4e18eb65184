import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/create-runtime.ts';
import { consumerYaml, gate, runtimeOf, until } from '../support/runtime-kit.ts';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

describe('worker pool and prefetch', () => {
  it('runs at most `concurrency` handlers and buffers at most `prefetch`; when full, the driver holds the rest', async () => {
    const release = gate();
    let running = 0;
    let maxRunning = 0;
    let maxBuffered = 0;
    runtime = runtimeOf(consumerYaml({ concurrency: 3, prefetch: 10 }), {
      't:h': async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        maxBuffered = Math.max(maxBuffered, runtime!.consumerStats('t:c').buffered);
        await release.promise;
        running--;
      },
    });
    await runtime.start();
    await runtime.publishBatch('t:q', Array.from({ length: 50 }, (_, i) => i + 1));
    await until(() => runtime!.consumerStats('t:c').running === 3 && runtime!.consumerStats('t:c').buffered === 10, '3 running, 10 buffered');
    await new Promise((r) => setTimeout(r, 30));
    // Backpressure: 3 in handlers + 10 buffered are out; the other 37 stay in the queue.
    expect(await runtime.info('t:q')).toMatchObject({ ready: 37, in_flight: 13 });
    expect(runtime.consumerStats('t:c').delivered).toBe(13);
    release.open();
    await until(() => runtime!.consumerStats('t:c').acked === 50, 'all acked');
    expect(maxRunning).toBe(3);
    expect(maxBuffered).toBeLessThanOrEqual(10);
  });

  it('one blocked worker does not stop the others (concurrency 3)', async () => {
    const stuck = gate();
    runtime = runtimeOf(consumerYaml({ concurrency: 3, prefetch: 5 }), {
      't:h': async (body: number) => {
        if (body === 1) await stuck.promise;
      },
    });
    await runtime.start();
    await runtime.publishBatch('t:q', Array.from({ length: 100 }, (_, i) => i + 1));
    await until(() => runtime!.consumerStats('t:c').acked === 99, '99 acked while message 1 is stuck');
    expect(runtime.consumerStats('t:c').running).toBe(1);
    stuck.open();
    await until(() => runtime!.consumerStats('t:c').acked === 100, 'all acked');
  });

  it('acks all of 10k messages at concurrency 10 / prefetch 100', async () => {
    const seen = new Set<number>();
    runtime = runtimeOf(consumerYaml({ concurrency: 10, prefetch: 100, maxLength: 1000 }), { 't:h': async (b: number) => void seen.add(b) });
    await runtime.start();
    const all = Array.from({ length: 10_000 }, (_, i) => i);
    // max_length 1000: publishBatch waits for room as the consumer drains.
    await runtime.publishBatch('t:q', all);
    await until(() => runtime!.consumerStats('t:c').acked === 10_000, '10k acks', 20000);
    expect(seen.size).toBe(10_000);
    expect(await runtime.info('t:q')).toMatchObject({ message_count: 0 });
  });

  it('competing consumers on one queue each get different messages', async () => {
    const byConsumer = new Map<string, number[]>();
    runtime = runtimeOf(consumerYaml({ consumers: 2, concurrency: 2, prefetch: 5 }), {
      't:h': async (b: number, ctx) => {
        byConsumer.set(ctx.consumerId, [...(byConsumer.get(ctx.consumerId) ?? []), b]);
        await new Promise((r) => setTimeout(r, 1));
      },
    });
    await runtime.start();
    await runtime.publishBatch('t:q', Array.from({ length: 200 }, (_, i) => i));
    await until(() => runtime!.consumerStats('t:c').acked + runtime!.consumerStats('t:c2').acked === 200, '200 acks');
    const a = byConsumer.get('t:c') ?? [];
    const b = byConsumer.get('t:c2') ?? [];
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(new Set([...a, ...b]).size).toBe(200);
    expect(a.length + b.length).toBe(200);
    expect((await runtime.info('t:q')).consumer_count).toBe(2);
  });

  it('a handler past its timeout is nacked and its signal fires; the worker stays busy until it returns', async () => {
    let aborted: unknown;
    let calls = 0;
    runtime = runtimeOf(consumerYaml({ timeout: '50ms', deadLetter: { maxAttempts: 1 } }), {
      't:h': async (_b, ctx) => {
        calls++;
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        aborted = ctx.signal.reason;
      },
    });
    await runtime.start();
    await runtime.publish('t:q', 'slow');
    await until(() => runtime!.consumerStats('t:c').deadLettered === 1, 'timed out and dead-lettered');
    await until(() => aborted !== undefined, 'signal');
    expect((aborted as { code?: string }).code).toBe('HANDLER_TIMEOUT');
    expect(calls).toBe(1);
    expect(runtime.consumerStats('t:c').acked).toBe(0);
  });

  it('handlers can publish to another queue and read queue info through ctx', async () => {
    const forwarded: unknown[] = [];
    let info: unknown;
    runtime = runtimeOf(consumerYaml({ deadLetterConsumer: true }), {
      't:h': async (body, ctx) => {
        info = await ctx.info('t:q');
        await ctx.publish('t:dlq', { forwarded: body });
      },
      't:dh': (body) => void forwarded.push(body),
    });
    await runtime.start();
    await runtime.publish('t:q', 'hello');
    await until(() => forwarded.length === 1, 'forwarded');
    expect(forwarded).toEqual([{ forwarded: 'hello' }]);
    expect(info).toMatchObject({ consumer_count: 1 });
  });
});
