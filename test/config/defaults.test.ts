import { describe, it, expect } from 'vitest';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { ConsumerEntry, DriverEntry, QueueEntry } from '../../src/config/entry-types.ts';
import { builtinKinds } from '../../src/kinds/builtin-kinds.ts';
import type { DriverKind, KindCatalog } from '../../src/kinds/kind-descriptors.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { FN, doc, issuesOf, parse, testKinds } from './helpers.ts';

const consumer = (fields: string) => doc(`  - name: c
    kind: queue.consumer
    queue: app:q
    func: app:f
${fields}`);

describe('defaults', () => {
  it('fills consumer defaults (concurrency 1, prefetch 10, no timeout, auto_ack false)', () => {
    const c = parse(consumer(''), FN).entries.get('app:c') as ConsumerEntry;
    expect(c).toMatchObject({ id: 'app:c', namespace: 'app', name: 'c', kind: 'queue.consumer', concurrency: 1, prefetch: 10, auto_ack: false, meta: {} });
    expect(c.timeout).toBeUndefined();
    expect(c.line).toBe(8);
    expect(c.file).toBe(resolve('test.yaml'));
  });

  it.each([0, -5])('takes the default for concurrency/prefetch %d', (n) => {
    const c = parse(consumer(`    concurrency: ${n}\n    prefetch: ${n}\n`), FN).entries.get('app:c') as ConsumerEntry;
    expect([c.concurrency, c.prefetch]).toEqual([1, 10]);
  });

  it('accepts the maxima exactly', () => {
    const c = parse(consumer('    concurrency: 1000\n    prefetch: 10000\n'), FN).entries.get('app:c') as ConsumerEntry;
    expect([c.concurrency, c.prefetch]).toEqual([1000, 10000]);
  });

  it('keeps timeout in ms, auto_ack and driver_options as written', () => {
    const c = parse(consumer('    timeout: 1m30s\n    auto_ack: true\n    driver_options:\n      amqp: { exclusive: true }\n'), FN).entries.get('app:c') as ConsumerEntry;
    expect(c).toMatchObject({ timeout: 90_000, auto_ack: true, driver_options: { amqp: { exclusive: true } } });
  });

  it('treats timeout 0 as no limit', () => {
    expect((parse(consumer('    timeout: 0\n'), FN).entries.get('app:c') as ConsumerEntry).timeout).toBeUndefined();
  });

  it('resolves inline text functions from the working directory', () => {
    const r = parseConfigText('namespace: app\nentries:\n  - name: f\n    kind: function.js\n    source: file://h.mjs\n', '<inline>', { kinds: testKinds });
    expect(r.files).toEqual(['<inline>']);
    expect(r.entries.get('app:f')).toMatchObject({ file: '<inline>', line: 3, base_dir: process.cwd() });
  });

  it('fills queue defaults: queue_name = name, memory max_length 1000 without a section', () => {
    const q = parse(doc('')).entries.get('app:q') as QueueEntry;
    expect(q).toMatchObject({ queue_name: 'q', driver: 'app:mem', driver_options: { memory: { max_length: 1000 } } });
    expect(q.dead_letter).toBeUndefined();
    expect(q.lifecycle.auto_start).toBe(false);
  });

  it('validates the driver section and keeps queue_name, dead_letter and meta', () => {
    const text = doc(`  - name: jobs
    kind: queue.queue
    meta: { owner: ops }
    driver: app:mem
    queue_name: jobs-v2
    driver_options:
      memory:
        max_length: 5
    dead_letter:
      queue: app:q
      max_attempts: 4
`);
    const q = parse(text).entries.get('app:jobs') as QueueEntry;
    expect(q).toMatchObject({ meta: { owner: 'ops' }, queue_name: 'jobs-v2', driver_options: { memory: { max_length: 5 } }, dead_letter: { queue: 'app:q', max_attempts: 4 } });
  });

  it('takes the seed spelling options: as the current driver section', () => {
    const q = parse(doc('  - name: legacy\n    kind: queue.queue\n    driver: app:mem\n    options:\n      max_length: 7\n')).entries.get('app:legacy') as QueueEntry;
    expect(q.driver_options).toEqual({ memory: { max_length: 7, max_waiting: 10_000 } });
  });

  it('rejects options: together with the same driver_options section', async () => {
    const issues = await issuesOf(doc('  - name: both\n    kind: queue.queue\n    driver: app:mem\n    options: {}\n    driver_options:\n      memory: {}\n'));
    expect(issues).toEqual([expect.objectContaining({ file: 'test.yaml', line: 11, entryId: 'app:both', field: 'options', message: expect.stringContaining('give one of them, not both') })]);
  });

  it('treats a key with no value as not set', () => {
    const q = parse(doc('  - name: n\n    kind: queue.queue\n    driver: app:mem\n    queue_name:\n    lifecycle:\n')).entries.get('app:n') as QueueEntry;
    expect(q.queue_name).toBe('n');
    expect(q.lifecycle.stop_timeout).toBe(10_000);
  });

  it('gives drivers their options and default lifecycle', () => {
    const d = parse(doc('')).entries.get('app:mem') as DriverEntry;
    expect(d.options).toEqual({});
    expect(d.lifecycle).toEqual({ auto_start: false, requires: [], start_timeout: 10_000, stop_timeout: 10_000, restart: { initial_delay: 1000, max_delay: 90_000, backoff_factor: 2, jitter: 0.1, max_attempts: 0 } });
  });
});

describe('driver options for several backends', () => {
  // A second driver kind with options of its own, to carry both sections on one queue.
  const fake: DriverKind = {
    kind: 'queue.driver.fake',
    optionsKey: 'fake',
    schema: z.object({ url: z.string().default('fake://') }).strict(),
    queueOptionsSchema: z.object({ durable: z.boolean().default(true) }).strict(),
    create: () => Promise.reject(new Error('not in tests')),
  };
  const kinds: KindCatalog = { drivers: new Map([...builtinKinds.drivers, [fake.kind, fake]]), functions: builtinKinds.functions };
  const text = (section: string) => `namespace: app
entries:
  - name: f
    kind: queue.driver.fake
  - name: q
    kind: queue.queue
    driver: app:f
    driver_options:
${section}`;

  it("validates every known section and applies the current driver's defaults", () => {
    const r = parse(text('      memory: { max_length: 3 }\n'), { kinds });
    expect((r.entries.get('app:f') as DriverEntry).options).toEqual({ url: 'fake://' });
    expect((r.entries.get('app:q') as QueueEntry).driver_options).toEqual({ memory: { max_length: 3, max_waiting: 10_000 }, fake: { durable: true } });
  });

  it('reports a typo inside another driver section', async () => {
    const issues = await issuesOf(text('      memory: { max_lenght: 3 }\n'), { kinds });
    expect(issues).toEqual([expect.objectContaining({ line: 9, entryId: 'app:q', field: 'driver_options.memory.max_lenght', message: 'unknown field max_lenght (did you mean max_length?)' })]);
  });

  it('reports a bad value in the current driver section', async () => {
    const issues = await issuesOf(text('      fake: { durable: "yes" }\n'), { kinds });
    expect(issues).toEqual([expect.objectContaining({ line: 9, field: 'driver_options.fake.durable', message: 'expected boolean, got "yes" (string)' })]);
  });
});
