import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import { QueueFullError } from '../../src/errors/queue-full-error.ts';
import { createPrometheusMetrics } from '../../src/metrics/prometheus.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { until } from '../model/runtime-targets.ts';

const YAML = `namespace: app
entries:
  - { name: mem, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: app:mem, dead_letter: { queue: app:dlq, max_attempts: 1 } }
  - { name: dlq, kind: queue.queue, driver: app:mem }
  - name: tiny
    kind: queue.queue
    driver: app:mem
    driver_options: { memory: { max_length: 1, max_waiting: 0 } }
  - { name: c, kind: queue.consumer, queue: app:q, func: app:h, concurrency: 2, lifecycle: { auto_start: true } }
`;

/** A runtime that has processed messages: some acked, one dead-lettered. */
async function busyRuntime(): Promise<Runtime> {
  const registry = parseConfigText(YAML, '<inline>', { extraFunctionIds: ['app:h'] });
  const runtime = createRuntime({
    registry,
    logger: silentLogger,
    functions: { 'app:h': (body: { fail?: boolean }) => (body.fail ? Promise.reject(new Error('no')) : undefined) },
  });
  await runtime.start();
  await runtime.publishBatch('app:q', Array.from({ length: 40 }, (_, i) => ({ i })));
  await runtime.publish('app:q', { fail: true });
  await until(() => expect(runtime.consumerStats('app:c').acked + runtime.consumerStats('app:c').deadLettered).toBe(41));
  return runtime;
}

/** A line's value in Prometheus text, by its exact series. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

describe('Prometheus exposition', () => {
  // CI installs promtool (Debian's prometheus package); elsewhere the check runs when it is there.
  it.skipIf(!promtool)('passes promtool check metrics, default metrics included', async () => {
    const runtime = await busyRuntime();
    try {
      const text = await createPrometheusMetrics().scrape(await runtime.metrics());
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.stdout + check.stderr).toBe('');
      expect(check.status).toBe(0);
    } finally {
      await runtime.stop();
    }
  });

  it('counts only publishes the driver accepted', async () => {
    const runtime = await busyRuntime();
    try {
      await runtime.publish('app:tiny', { a: 1 });
      // The queue holds one message and lets no publisher wait: the driver refuses these.
      await expect(runtime.publish('app:tiny', { a: 2 })).rejects.toBeInstanceOf(QueueFullError);
      await expect(runtime.publishBatch('app:tiny', [{ a: 3 }, { a: 4 }])).rejects.toBeInstanceOf(QueueFullError);
      const reading = await runtime.metrics();
      expect(reading.queues.find((q) => q.id === 'app:tiny')).toMatchObject({ published: 1, ready: 1 });
      expect(reading.queues.find((q) => q.id === 'app:q')).toMatchObject({ published: 41 });
      const text = await createPrometheusMetrics({ defaultMetrics: false }).scrape(reading);
      expect(valueOf(text, 'actorq_queue_published_total{queue="app:tiny"}')).toBe(1);
    } finally {
      await runtime.stop();
    }
  });

  it('sets counters from each reading (no double counting) and leaves the process metrics running', async () => {
    const runtime = await busyRuntime();
    try {
      const prom = createPrometheusMetrics();
      const first = await prom.scrape(await runtime.metrics());
      // Some CPU time between the two scrapes.
      for (let spent = performance.now(); performance.now() - spent < 20; );
      const second = await prom.scrape(await runtime.metrics());
      const acked = 'actorq_consumer_acked_total{consumer="app:c",queue="app:q"}';
      expect(valueOf(first, acked)).toBe(40);
      expect(valueOf(second, acked)).toBe(40);
      const cpu = 'process_cpu_user_seconds_total';
      expect(valueOf(second, cpu)!).toBeGreaterThan(valueOf(first, cpu)!);
    } finally {
      await runtime.stop();
    }
  });

  it('leaves out the process and Node.js metrics when asked', async () => {
    const runtime = await busyRuntime();
    try {
      const text = await createPrometheusMetrics({ defaultMetrics: false }).scrape(await runtime.metrics());
      expect(text).not.toMatch(/^(process|nodejs)_/m);
      expect(text).toContain('actorq_consumer_acked_total');
    } finally {
      await runtime.stop();
    }
  });
});
