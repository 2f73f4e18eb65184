import { describe, it, expect } from 'vitest';
import type { DriverEntry, QueueEntry } from '../../src/config/entry-types.ts';
import { LIFECYCLE_DEFAULTS } from '../../src/config/lifecycle-schema.ts';
import { FN, doc, issuesOf, parse } from './helpers.ts';

/** A driver `app:mem` with the given lifecycle body (indented 6). */
const withLifecycle = (body: string) => `namespace: app
entries:
  - name: mem
    kind: queue.driver.memory
    lifecycle:
${body}
  - name: other
    kind: queue.driver.memory
  - name: q
    kind: queue.queue
    driver: app:other
`;
const lifecycleOf = (body: string) => (parse(withLifecycle(body)).entries.get('app:mem') as DriverEntry).lifecycle;

describe('lifecycle', () => {
  it('defaults everything when absent', () => {
    expect((parse(doc('')).entries.get('app:mem') as DriverEntry).lifecycle).toEqual(LIFECYCLE_DEFAULTS);
  });

  it('merges requires and depends_on without duplicates, in written order', () => {
    const l = lifecycleOf('      requires: [app:q, app:other]\n      depends_on: [app:other, app:q]');
    expect(l.requires).toEqual(['app:q', 'app:other']);
  });

  it('converts Go-style durations and plain milliseconds', () => {
    const l = lifecycleOf('      start_timeout: 1m30s\n      stop_timeout: 250\n      restart:\n        initial_delay: 500ms\n        max_delay: 1.5h');
    expect(l).toMatchObject({ start_timeout: 90_000, stop_timeout: 250, restart: { initial_delay: 500, max_delay: 5_400_000, backoff_factor: 2, jitter: 0.1, max_attempts: 0 } });
  });

  it('keeps restart fields given and defaults the rest', () => {
    const l = lifecycleOf('      auto_start: true\n      restart: { backoff_factor: 1.5, max_attempts: 5 }');
    expect(l).toMatchObject({ auto_start: true, restart: { initial_delay: 1000, max_delay: 90_000, backoff_factor: 1.5, jitter: 0.1, max_attempts: 5 } });
  });

  it('keeps the security block (not enforced)', () => {
    const l = lifecycleOf('      security:\n        actor: { id: svc, meta: { role: worker } }\n        groups: [ops]\n        policies: [app:allow_publish]');
    expect(l.security).toEqual({ actor: { id: 'svc', meta: { role: 'worker' } }, groups: ['ops'], policies: ['app:allow_publish'] });
  });

  it('accepts lifecycle on queues', () => {
    const q = parse(doc('  - name: q2\n    kind: queue.queue\n    driver: app:mem\n    lifecycle:\n      depends_on: [app:q]\n')).entries.get('app:q2') as QueueEntry;
    expect(q.lifecycle.requires).toEqual(['app:q']);
  });

  it('reports a bad duration at its line', async () => {
    const issues = await issuesOf(withLifecycle('      stop_timeout: 10 seconds'));
    expect(issues).toEqual([{ file: 'test.yaml', line: 6, entryId: 'app:mem', field: 'lifecycle.stop_timeout', message: expect.stringContaining('invalid duration "10 seconds"') }]);
  });

  it('reports a duration of the wrong type', async () => {
    const issues = await issuesOf(withLifecycle('      start_timeout: true'));
    expect(issues).toEqual([expect.objectContaining({ line: 6, field: 'lifecycle.start_timeout', message: 'expected string or number, got true (boolean)' })]);
  });

  it('reports bad restart values, each at its own line', async () => {
    const issues = await issuesOf(withLifecycle('      restart:\n        initial_delay: 1m\n        max_delay: 1s\n        backoff_factor: 0.5\n        jitter: 2\n        max_attempts: -1'));
    expect(issues.map((i) => [i.line, i.field])).toEqual([
      [8, 'lifecycle.restart.max_delay'],
      [9, 'lifecycle.restart.backoff_factor'],
      [10, 'lifecycle.restart.jitter'],
      [11, 'lifecycle.restart.max_attempts'],
    ]);
    const order = await issuesOf(withLifecycle('      restart: { initial_delay: 1m, max_delay: 1s }'));
    expect(order).toEqual([expect.objectContaining({ field: 'lifecycle.restart.max_delay', message: 'max_delay (1000ms) must not be below initial_delay (60000ms)' })]);
  });

  it('reports unknown lifecycle fields and a requires that is not a list', async () => {
    const issues = await issuesOf(withLifecycle('      autostart: true\n      requires: app:q'));
    expect(issues.map((i) => [i.line, i.field, i.message])).toEqual([
      [6, 'lifecycle.autostart', 'unknown field autostart (did you mean auto_start?)'],
      [7, 'lifecycle.requires', 'expected array, got "app:q" (string)'],
    ]);
  });

  it('reports security typos', async () => {
    const issues = await issuesOf(withLifecycle('      security: { polices: [x] }'), FN);
    expect(issues).toEqual([expect.objectContaining({ field: 'lifecycle.security.polices', message: 'unknown field polices (did you mean policies?)' })]);
  });
});
