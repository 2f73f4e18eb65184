import { describe, it, expect } from 'vitest';
import { FN, doc, issuesOf, parse } from './helpers.ts';

// doc(): line 3 app:mem (driver), line 5 app:q (queue, driver at line 7); extra entries start at line 8.
const consumer = (queue: string, func: string, more = '') =>
  doc(`  - name: c\n    kind: queue.consumer\n    queue: ${queue}\n    func: ${func}\n${more}  - name: h\n    kind: function.js\n    source: file://h.mjs\n`);

describe('references', () => {
  it('accepts references to entries of the right kind, and functions supplied in code', () => {
    expect(parse(consumer('app:q', 'app:h')).entries.size).toBe(4);
    expect(parse(consumer('app:q', 'app:f'), FN).entries.size).toBe(4);
  });

  it.each([
    ['queue to nothing', consumer('app:nope', 'app:h'), 10, 'queue', 'references app:nope, which does not exist (expected a queue.queue entry)'],
    ['queue to a driver', consumer('app:mem', 'app:h'), 10, 'queue', 'references app:mem, which is a queue.driver.memory entry (expected a queue.queue entry)'],
    ['func to nothing', consumer('app:q', 'app:f'), 11, 'func', 'references app:f, which does not exist (expected a function.* entry or a function supplied in code)'],
    ['func to a queue', consumer('app:q', 'app:q'), 11, 'func', 'references app:q, which is a queue.queue entry (expected a function.* entry or a function supplied in code)'],
  ])('reports consumer %s', async (_, text, line, field, message) => {
    expect(await issuesOf(text)).toEqual([{ file: 'test.yaml', line, entryId: 'app:c', field, message }]);
  });

  it('reports a queue whose driver is missing or not a driver', async () => {
    const issues = await issuesOf(doc('  - name: a\n    kind: queue.queue\n    driver: app:gone\n  - name: b\n    kind: queue.queue\n    driver: app:q\n'));
    expect(issues.map((i) => [i.line, i.entryId, i.field, i.message])).toEqual([
      [10, 'app:a', 'driver', 'references app:gone, which does not exist (expected a queue.driver.* entry)'],
      [13, 'app:b', 'driver', 'references app:q, which is a queue.queue entry (expected a queue.driver.* entry)'],
    ]);
  });

  it('reports bad dead_letter.queue targets, including the queue itself', async () => {
    const dl = (name: string, target: string) => `  - name: ${name}\n    kind: queue.queue\n    driver: app:mem\n    dead_letter:\n      queue: ${target}\n      max_attempts: 2\n`;
    const issues = await issuesOf(doc(dl('a', 'app:none') + dl('b', 'app:mem') + dl('c', 'app:c')));
    expect(issues.map((i) => [i.line, i.entryId, i.field, i.message])).toEqual([
      [12, 'app:a', 'dead_letter.queue', 'references app:none, which does not exist (expected a queue.queue entry)'],
      [18, 'app:b', 'dead_letter.queue', 'references app:mem, which is a queue.driver.memory entry (expected a queue.queue entry)'],
      [24, 'app:c', 'dead_letter.queue', 'a queue cannot be its own dead-letter queue'],
    ]);
  });

  it('reports requires and depends_on items that do not exist, at the item line', async () => {
    const issues = await issuesOf(doc('  - name: d\n    kind: queue.driver.memory\n    lifecycle:\n      requires: [app:q]\n      depends_on:\n        - app:q\n        - app:ghost\n'));
    expect(issues).toEqual([{ file: 'test.yaml', line: 14, entryId: 'app:d', field: 'lifecycle.depends_on[1]', message: 'references app:ghost, which does not exist (expected an entry)' }]);
  });

  it('lets requires name a function supplied in code', () => {
    expect(() => parse(doc('  - name: d\n    kind: queue.driver.memory\n    lifecycle: { requires: [app:f] }\n'), FN)).not.toThrow();
  });

  it('asks for a full ID and suggests the namespaced one', async () => {
    const issues = await issuesOf(consumer('q', 'app:h'));
    expect(issues).toEqual([expect.objectContaining({ line: 10, field: 'queue', message: 'expected a registry ID namespace:name, got "q" (did you mean app:q?)' })]);
  });

  it('does not report references to an entry that is itself invalid', async () => {
    const issues = await issuesOf(doc('  - name: bad\n    kind: queue.queue\n  - name: c\n    kind: queue.consumer\n    queue: app:bad\n    func: app:f\n'), FN);
    expect(issues).toEqual([expect.objectContaining({ entryId: 'app:bad', field: 'driver' })]);
  });
});

describe('duplicate IDs', () => {
  it('reports the second definition and names the first', async () => {
    const issues = await issuesOf(doc('  - name: q\n    kind: queue.queue\n    driver: app:mem\n'));
    expect(issues).toEqual([{ file: 'test.yaml', line: 8, entryId: 'app:q', field: 'name', message: 'duplicate entry ID app:q (also defined at test.yaml:5)' }]);
  });
});

describe('cycles', () => {
  it('reports a cycle through requires, naming every ID in it', async () => {
    const text = doc('  - name: c\n    kind: queue.consumer\n    queue: app:q\n    func: app:f\n').replace('    kind: queue.driver.memory\n', '    kind: queue.driver.memory\n    lifecycle: { requires: [app:c] }\n');
    expect(await issuesOf(text, FN)).toEqual([{ file: 'test.yaml', line: 5, entryId: 'app:mem', field: 'lifecycle.requires[0]', message: 'dependency cycle: app:mem -> app:c -> app:q -> app:mem' }]);
  });

  it('reports an entry requiring itself', async () => {
    const issues = await issuesOf(doc('  - name: d\n    kind: queue.driver.memory\n    lifecycle:\n      depends_on: [app:d]\n'));
    expect(issues).toEqual([expect.objectContaining({ line: 11, entryId: 'app:d', field: 'lifecycle.depends_on[0]', message: 'dependency cycle: app:d -> app:d' })]);
  });

  it('reports two queues dead-lettering into each other, and each separate cycle once', async () => {
    const dl = (name: string, target: string) => `  - name: ${name}\n    kind: queue.queue\n    driver: app:mem\n    dead_letter: { queue: ${target}, max_attempts: 1 }\n`;
    const issues = await issuesOf(doc(dl('a', 'app:b') + dl('b', 'app:a') + dl('x', 'app:y') + dl('y', 'app:x')));
    expect(issues.map((i) => [i.line, i.entryId, i.field, i.message])).toEqual([
      [11, 'app:a', 'dead_letter.queue', 'dependency cycle: app:a -> app:b -> app:a'],
      [19, 'app:x', 'dead_letter.queue', 'dependency cycle: app:x -> app:y -> app:x'],
    ]);
  });
});
