import { describe, expect, it } from 'vitest';
import { firstValueFrom, filter } from 'rxjs';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { LATENCY_BUCKETS, LatencySampler } from '../../src/metrics/latency-sampler.ts';
import { startMetricsServer, parseListenAddress } from '../../src/metrics/metrics-server.ts';
import { parseTraceparent } from '../../src/tracing/traceparent.ts';
import { formatStatus } from '../../src/cli/status-command.ts';
import { until } from '../model/runtime-targets.ts';

const YAML = `namespace: app
entries:
  - { name: mem, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: app:mem, dead_letter: { queue: app:dlq, max_attempts: 1 } }
  - { name: dlq, kind: queue.queue, driver: app:mem }
  - { name: c, kind: queue.consumer, queue: app:q, func: app:h, concurrency: 3, prefetch: 5, lifecycle: { auto_start: true } }
`;

function makeRuntime(handler: (body: unknown, ctx: any) => unknown) {
  const registry = parseConfigText(YAML, '<inline>', { extraFunctionIds: ['app:h'] });
  return createRuntime({ registry, functions: { 'app:h': handler as never }, logger: silentLogger });
}

describe('metrics', () => {
  it('counts per queue and consumer, with sampled latency, as a snapshot and an observable', async () => {
    const runtime = makeRuntime(async (body) => {
      if ((body as { fail?: boolean }).fail) throw new Error('no');
      await new Promise((r) => setTimeout(r, 1));
    });
    await runtime.start();
    // No reading before the messages: latency is sampled from the first message on.
    await runtime.publishBatch('app:q', Array.from({ length: 64 }, (_, i) => ({ i })));
    await runtime.publish('app:q', { fail: true });
    await until(() => expect(runtime.consumerStats('app:c').acked + runtime.consumerStats('app:c').deadLettered).toBe(65));
    const m = await firstValueFrom(runtime.metrics$(20).pipe(filter((r) => r.consumers[0]!.acked === 64)));
    const c = m.consumers[0]!;
    expect(c).toMatchObject({ id: 'app:c', delivered: 65, acked: 64, nacked: 1, deadLettered: 1, inFlight: 0, buffered: 0, concurrency: 3, prefetch: 5 });
    expect(c.latency.samples).toBeGreaterThanOrEqual(3); // 1 in 16 of 65
    expect(c.latency.p50).toBeGreaterThan(0.5);
    expect(c.latency.p99).toBeGreaterThanOrEqual(c.latency.p50);
    // The histogram holds the same samples: cumulative buckets, seconds.
    expect(c.latencyHistogram.count).toBe(c.latency.samples);
    expect(c.latencyHistogram.sum).toBeGreaterThan(c.latency.samples * 0.0005);
    const counts = c.latencyHistogram.buckets.map((b) => b.count);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBeLessThanOrEqual(c.latencyHistogram.count);
    expect(m.queues.find((q) => q.id === 'app:q')).toMatchObject({ published: 65, ready: 0, acked: 64, deadLettered: 1 });
    expect(m.queues.find((q) => q.id === 'app:dlq')).toMatchObject({ ready: 1 });
    expect(m.entries).toEqual(expect.arrayContaining([{ id: 'app:c', kind: 'consumer', state: 'running' }, { id: 'app:mem', kind: 'driver', state: 'running.connected' }]));
    expect(formatStatus(m)).toMatch(/app:c\s+65\s+64\s+1\s+1\s+0\/3\s+0\/5/);
    await runtime.stop();
  });

  it('times the very first message, so a consumer that handled one message already shows its latency', async () => {
    const runtime = makeRuntime(() => new Promise((r) => setTimeout(r, 2)));
    await runtime.start();
    await runtime.publish('app:q', { a: 1 });
    await until(() => expect(runtime.consumerStats('app:c').acked).toBe(1));
    const c = (await firstValueFrom(runtime.metrics$(20))).consumers[0]!;
    expect(c.latency.samples).toBe(1);
    expect(c.latency.p50).toBeGreaterThan(1);
    await runtime.stop();
  });

  it('serves Prometheus text on /metrics and JSON on /status', async () => {
    const runtime = makeRuntime(() => {});
    await runtime.start();
    await runtime.publish('app:q', { a: 1 });
    await until(() => expect(runtime.consumerStats('app:c').acked).toBe(1));
    const server = await startMetricsServer(runtime, { host: '127.0.0.1', port: 0 });
    try {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain('actorq_queue_published_total{queue="app:q"} 1');
      expect(text).toContain('actorq_consumer_acked_total{consumer="app:c",queue="app:q"} 1');
      expect(text).toContain('actorq_entry_state{entry="app:c",kind="consumer",state="running"} 1');
      expect(text).toContain('# TYPE actorq_consumer_handler_duration_seconds histogram');
      expect(text).toMatch(/actorq_consumer_handler_duration_seconds_bucket\{consumer="app:c",queue="app:q",le="\+Inf"\} \d+/);
      expect(text).toMatch(/actorq_consumer_handler_duration_seconds_count\{consumer="app:c",queue="app:q"\} \d+/);
      expect(text).not.toContain('quantile=');
      // Process and Node.js metrics from the same endpoint.
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
      const status = (await (await fetch(`${server.url}/status`)).json()) as { runtime: string };
      expect(status.runtime).toBe('running');
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    } finally {
      await server.close();
      await runtime.stop();
    }
  });

  it('latency sampler keeps percentiles over a bounded ring, and every sample in cumulative buckets', () => {
    const s = new LatencySampler(100);
    for (let i = 1; i <= 1000; i++) s.record(i);
    expect(s.percentiles()).toEqual({ p50: 950, p95: 995, p99: 999, samples: 100 });
    const h = s.histogram();
    expect(h.count).toBe(1000);
    expect(h.sum).toBeCloseTo(500.5, 6);
    const le = (bound: number) => h.buckets.find((b) => b.le === bound)!.count;
    expect([le(0.0005), le(0.001), le(0.01), le(0.1), le(1), le(60)]).toEqual([0, 1, 10, 100, 1000, 1000]);
    expect(h.buckets.map((b) => b.le)).toEqual([...LATENCY_BUCKETS]);
  });

  it('parses listen addresses', () => {
    expect(parseListenAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseListenAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseListenAddress('nope')).toBeUndefined();
  });
});

describe('trace context', () => {
  it('publish adds a traceparent the handler sees; a given one is kept', async () => {
    const seen: unknown[] = [];
    const runtime = makeRuntime((_b, ctx) => void seen.push(ctx.message.headers.traceparent));
    await runtime.start();
    await runtime.publish('app:q', { a: 1 });
    await runtime.publish('app:q', { a: 2 }, { headers: { correlation_id: 'x' } });
    const given = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await runtime.publish('app:q', { a: 3 }, { headers: { traceparent: given } });
    await runtime.publishBatch('app:q', [{ a: 4 }]);
    await until(() => expect(seen).toHaveLength(4));
    for (const t of seen) expect(parseTraceparent(t)).toBeDefined();
    expect(seen).toContain(given);
    expect(new Set(seen).size).toBe(4);
    await runtime.stop();
  });

  it('counts each per-message publish once, when stored: at once, or when the group it waited in gets in', async () => {
    const yaml = `namespace: app
entries:
  - { name: mem, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: app:mem, driver_options: { memory: { max_length: 3 } } }
  - { name: c, kind: queue.consumer, queue: app:q, func: app:h, concurrency: 1, prefetch: 1 }
`;
    const runtime = createRuntime({ registry: parseConfigText(yaml, '<inline>', { extraFunctionIds: ['app:h'] }), functions: { 'app:h': () => {} }, logger: silentLogger });
    await runtime.start();
    const published = async () => (await runtime.metrics()).queues.find((q) => q.id === 'app:q')!.published;
    const calls = Array.from({ length: 10 }, (_, i) => runtime.publish('app:q', { i }));
    // Three stored on the spot; seven wait for room and are not counted yet.
    expect(await published()).toBe(3);
    await runtime.startEntry('app:c');
    await Promise.all(calls);
    expect(await published()).toBe(10);
    await until(() => expect(runtime.consumerStats('app:c').acked).toBe(10));
    await runtime.stop();
  });

});
