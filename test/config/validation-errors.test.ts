import { describe, it, expect } from 'vitest';
import { ConfigError } from '../../src/errors/config-error.ts';
import { FN, configErrorOf, doc, issuesOf, parse } from './helpers.ts';

const consumer = (fields: string) => doc(`  - name: c
    kind: queue.consumer
    queue: app:q
    func: app:f
${fields}`);

describe('entry validation errors', () => {
  it.each([
    ['concurrency', 1001, 'concurrency 1001 exceeds maximum 1000'],
    ['prefetch', 10001, 'prefetch 10001 exceeds maximum 10000'],
  ])('rejects %s above its maximum', async (field, value, message) => {
    const issues = await issuesOf(consumer(`    ${field}: ${value}\n`), FN);
    expect(issues).toEqual([{ file: 'test.yaml', line: 12, entryId: 'app:c', field, message }]);
  });

  it('rejects wrong types, naming what was expected', async () => {
    const issues = await issuesOf(consumer('    concurrency: "4"\n    prefetch: 2.5\n'), FN);
    expect(issues.map((i) => [i.line, i.field, i.message])).toEqual([
      [12, 'concurrency', 'expected number, got "4" (string)'],
      [13, 'prefetch', expect.stringContaining('int')],
    ]);
  });

  it('reports a missing required field at the entry line', async () => {
    const issues = await issuesOf(doc('  - name: c\n    kind: queue.consumer\n    queue: app:q\n'), FN);
    expect(issues).toEqual([{ file: 'test.yaml', line: 8, entryId: 'app:c', field: 'func', message: 'missing required field (expected string)' }]);
  });

  it('names an unknown field and suggests the near one', async () => {
    const issues = await issuesOf(consumer('    concurency: 4\n    colour: red\n'), FN);
    expect(issues.map((i) => [i.line, i.field, i.message])).toEqual([
      [12, 'concurency', 'unknown field concurency (did you mean concurrency?)'],
      [13, 'colour', expect.stringMatching(/^unknown field colour \(allowed: queue, func, concurrency, prefetch, timeout, auto_ack, driver_options, lifecycle\)$/)],
    ]);
  });

  it('rejects unknown fields on drivers and functions through their kind schemas', async () => {
    const issues = await issuesOf('namespace: app\nentries:\n  - name: m\n    kind: queue.driver.memory\n    url: x\n  - name: f\n    kind: function.js\n    source: file://h.mjs\n    methd: run\n');
    expect(issues.map((i) => [i.line, i.entryId, i.field, i.message])).toEqual([
      [5, 'app:m', 'url', 'unknown field url'],
      [9, 'app:f', 'methd', 'unknown field methd (did you mean method?)'],
    ]);
  });

  it('checks function.js source starts with file://', async () => {
    const issues = await issuesOf('namespace: app\nentries:\n  - name: f\n    kind: function.js\n    source: ./h.mjs\n');
    expect(issues).toEqual([expect.objectContaining({ line: 5, field: 'source', message: 'must start with "file://", got "./h.mjs" (string)' })]);
  });

  it('lists the known kinds for an unknown kind', async () => {
    const issues = await issuesOf('namespace: app\nentries:\n  - name: x\n    kind: queue.consumr\n');
    expect(issues).toEqual([{ file: 'test.yaml', line: 4, entryId: 'app:x', field: 'kind', message: 'unknown kind "queue.consumr"; known kinds: function.js, queue.consumer, queue.driver.memory, queue.queue, security.policy' }]);
  });

  it('rejects dead_letter without max_attempts or with 0', async () => {
    const issues = await issuesOf(doc('  - name: a\n    kind: queue.queue\n    driver: app:mem\n    dead_letter: { queue: app:q }\n  - name: b\n    kind: queue.queue\n    driver: app:mem\n    dead_letter: { queue: app:q, max_attempts: 0 }\n'));
    expect(issues.map((i) => [i.line, i.entryId, i.field, i.message])).toEqual([
      [11, 'app:a', 'dead_letter.max_attempts', 'missing required field (expected number)'],
      [15, 'app:b', 'dead_letter.max_attempts', 'must be >= 1, got 0 (number)'],
    ]);
  });

  it('rejects an unknown driver_options key, listing the known ones', async () => {
    const issues = await issuesOf(doc('  - name: a\n    kind: queue.queue\n    driver: app:mem\n    driver_options:\n      kafka: {}\n'));
    expect(issues).toEqual([expect.objectContaining({ line: 12, field: 'driver_options.kafka', message: 'unknown driver_options key "kafka": no driver kind uses it (known keys: memory)' })]);
  });

  it('rejects a codec other than json', async () => {
    const issues = await issuesOf(doc('  - name: a\n    kind: queue.queue\n    driver: app:mem\n    codec: msgpack\n'));
    expect(issues).toEqual([expect.objectContaining({ line: 11, field: 'codec' })]);
  });

  it('collects every problem of every entry into one ConfigError, in line order', async () => {
    const e = await configErrorOf(() =>
      parse(doc('  - name: c\n    kind: queue.consumer\n    queue: app:q\n    func: app:f\n    concurrency: 5000\n  - name: x\n    kind: nope\n  - name: y\n    kind: queue.queue\n')),
    );
    expect(e.issues.map((i) => i.line)).toEqual([12, 14, 15]);
    expect(e.message.split('\n')).toHaveLength(3);
    expect(e.message).not.toMatch(/\bat .*\.ts:\d+/); // no stack frames in the message
  });
});

describe('file structure errors', () => {
  it('requires a namespace', async () => {
    const issues = await issuesOf('entries:\n  - name: a\n    kind: queue.driver.memory\n');
    expect(issues).toEqual([{ file: 'test.yaml', line: 1, field: 'namespace', message: 'missing required top-level field namespace (e.g. namespace: app.queue)' }]);
  });

  it('rejects a namespace with a colon, unknown top-level keys and a non-list entries', async () => {
    expect((await issuesOf('namespace: "a:b"\n'))[0]).toMatchObject({ line: 1, field: 'namespace' });
    expect(await issuesOf('namespace: a\nentrys: []\n')).toEqual([expect.objectContaining({ line: 2, field: 'entrys', message: expect.stringContaining('unknown top-level field') })]);
    expect(await issuesOf('namespace: a\nentries: {}\n')).toEqual([expect.objectContaining({ line: 2, field: 'entries', message: 'expected a list of entries, got a mapping' })]);
  });

  it('rejects an empty file', async () => {
    expect(await issuesOf('')).toEqual([expect.objectContaining({ line: 1, message: expect.stringContaining('the file is empty') })]);
  });

  it('rejects entries without name or kind, and non-mapping entries', async () => {
    const issues = await issuesOf('namespace: a\nentries:\n  - kind: queue.queue\n  - name: b\n  - name: "c d"\n    kind: queue.queue\n  - just text\n  - name: e\n    kind: queue.driver.memory\n    meta: [1]\n');
    expect(issues.map((i) => [i.line, i.entryId, i.field])).toEqual([
      [3, undefined, 'name'],
      [4, 'a:b', 'kind'],
      [5, undefined, 'name'],
      [7, undefined, 'entries[3]'],
      [10, 'a:e', 'meta'],
    ]);
  });

  it('reports YAML syntax errors with file and line, and the entry when known', async () => {
    const issues = await issuesOf('namespace: a\nentries:\n  - name: m\n    kind: queue.driver.memory\n    lifecycle: {auto_start: true\n');
    expect(issues[0]).toMatchObject({ file: 'test.yaml', line: 5, entryId: 'a:m', message: expect.stringMatching(/^YAML syntax error: /) });
  });

  it('reports duplicate keys in one entry as a YAML error', async () => {
    const issues = await issuesOf('namespace: a\nentries:\n  - name: m\n    kind: queue.driver.memory\n    kind: queue.queue\n');
    expect(issues).toEqual([expect.objectContaining({ line: 5, entryId: 'a:m', message: 'YAML syntax error: duplicate key kind (each key may appear once in a mapping)' })]);
  });

  it('is a ConfigError with code CONFIG_INVALID', async () => {
    const e = await configErrorOf(() => parse('namespace: a\nentries: 3\n'));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe('test.yaml:2: field entries: expected a list of entries, got 3 (number)');
  });
});
