import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { eventually, uniqueQueueName } from '../drivers/conformance-helpers.ts';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../drivers/redis/redis-test-env.ts';

// createRuntime({ consumers: false }): a process that only publishes. Its
// start() brings up drivers and queues; no consumer starts and no handler
// code is loaded, even when the configuration's consumers are auto_start.

describe('publisher-only runtime (consumers: false)', { timeout: 30_000 }, () => {
  let dir: string;
  let config: string;
  const marker = () => join(dir, 'handler-was-loaded');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'actorq-publisher-only-'));
    writeFileSync(join(dir, 'handler.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker())}, 'loaded');\nexport default async () => {};\n`);
    config = join(dir, 'app.yaml');
    writeFileSync(
      config,
      `namespace: app
entries:
  - name: mem
    kind: queue.driver.memory
  - name: tasks
    kind: queue.queue
    driver: app:mem
  - name: worker
    kind: queue.consumer
    queue: app:tasks
    func: app:handler
    lifecycle: { auto_start: true }
  - name: handler
    kind: function.js
    source: file://handler.mjs
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('start() declares the queues of an auto_start consumer, publishes, and never starts the consumer or loads its handler', async () => {
    const runtime = createRuntime({ files: [config], consumers: false });
    await runtime.start();
    try {
      await runtime.publishBatch('app:tasks', [{ n: 1 }, { n: 2 }, { n: 3 }]);
      // Given a turn of the event loop, a running consumer would have taken them.
      await new Promise((r) => setImmediate(r));
      expect(await runtime.info('app:tasks')).toMatchObject({ ready: 3, in_flight: 0, consumer_count: 0 });
      expect(existsSync(marker())).toBe(false);
      expect(runtime.system.get('app:worker')).toBeUndefined();
      const metrics = await runtime.metrics();
      expect(metrics.consumers).toEqual([]);
      expect(metrics.entries.map((e) => e.id).sort()).toEqual(['app:mem', 'app:tasks']);
      await expect(runtime.startEntry('app:worker')).rejects.toThrow('app:worker is a consumer, and this runtime was created with consumers: false');
      expect(() => runtime.consumerStats('app:worker')).toThrow(/not found/);
    } finally {
      await runtime.stop();
    }
    expect(existsSync(marker())).toBe(false);
  });

  it('needs no handler files (they belong to the consuming process)', async () => {
    const elsewhere = join(dir, 'no-handler.yaml');
    writeFileSync(elsewhere, (await import('node:fs')).readFileSync(config, 'utf8').replace('file://handler.mjs', 'file://not-here.mjs'));
    await expect(createRuntime({ files: [elsewhere] }).load()).rejects.toThrow(/not-here\.mjs/);
    const publisher = createRuntime({ files: [elsewhere], consumers: false });
    await publisher.start();
    await publisher.publish('app:tasks', { ok: true });
    expect((await publisher.info('app:tasks')).ready).toBe(1);
    await publisher.stop();
  });
});

describe('publish from another process: a publisher-only runtime and a worker on Redis', { timeout: 30_000 }, () => {
  const prefix = uniquePrefix('publisher-only');
  let dir: string;
  let config: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'actorq-publisher-worker-'));
    config = join(dir, 'app.yaml');
    writeFileSync(
      config,
      `namespace: app
entries:
  - name: redis
    kind: queue.driver.redis
    url: ${REDIS_URL}
    key_prefix: "${prefix}"
    lifecycle: { auto_start: true }
  - name: tasks
    kind: queue.queue
    driver: app:redis
    queue_name: ${uniqueQueueName('publisher-only')}
  - name: worker
    kind: queue.consumer
    queue: app:tasks
    func: app:handle
    lifecycle: { auto_start: true }
`,
    );
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the publisher only publishes; the worker, with the same configuration, consumes', async () => {
    const seen: unknown[] = [];
    const worker = createRuntime({ files: [config], functions: { 'app:handle': async (body) => void seen.push(body) } });
    // The handler is supplied in code by the worker; the publisher names it too so the configuration validates.
    const publisher = createRuntime({ files: [config], consumers: false, functions: { 'app:handle': async () => undefined } });
    await worker.start();
    await publisher.start();
    try {
      expect(publisher.system.get('app:worker')).toBeUndefined();
      await publisher.publishBatch('app:tasks', [1, 2, 3, 4, 5].map((n) => ({ n })));
      await eventually(() => seen.length === 5, 10_000, 'the worker to get all five');
      expect(seen).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
      // The publisher sees the worker's consumer on the queue, and none of its own.
      expect((await publisher.info('app:tasks')).consumer_count).toBe(1);
    } finally {
      await publisher.stop();
      await worker.stop();
    }
  });
});
