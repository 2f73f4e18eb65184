import { describe, it, expect } from 'vitest';
import { dependenciesOf, startOrder, stopOrder } from '../../src/config/dependency-graph.ts';
import type { Entry } from '../../src/config/entry-types.ts';
import type { Registry } from '../../src/config/registry.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { NotFoundError } from '../../src/errors/not-found-error.ts';
import { FN, parse } from './helpers.ts';

// Written so that file order alone would start things in the wrong order.
const registry = parse(
  `namespace: app
entries:
  - name: worker
    kind: queue.consumer
    queue: app:jobs
    func: app:handler
    lifecycle: { depends_on: [app:jobs] }
  - name: reporter
    kind: queue.consumer
    queue: app:dlq
    func: app:f
  - name: jobs
    kind: queue.queue
    driver: app:mem
    dead_letter: { queue: app:dlq, max_attempts: 3 }
  - name: handler
    kind: function.js
    source: file://h.mjs
  - name: dlq
    kind: queue.queue
    driver: app:mem
  - name: mem
    kind: queue.driver.memory
  - name: lonely
    kind: queue.driver.memory
`,
  FN,
);

describe('dependency graph', () => {
  it('lists direct dependencies from fields and requires, once each, registry entries only', () => {
    expect(dependenciesOf(registry, 'app:worker')).toEqual(['app:jobs', 'app:handler']);
    expect(dependenciesOf(registry, 'app:reporter')).toEqual(['app:dlq']); // app:f is supplied in code
    expect(dependenciesOf(registry, 'app:jobs')).toEqual(['app:mem', 'app:dlq']);
    expect(dependenciesOf(registry, 'app:handler')).toEqual([]);
  });

  it('orders the whole registry dependencies first, file order breaking ties', () => {
    expect(startOrder(registry)).toEqual(['app:handler', 'app:mem', 'app:dlq', 'app:reporter', 'app:jobs', 'app:worker', 'app:lonely']);
  });

  it('starts a consumer after its queue, that queue driver and its function, transitively', () => {
    const order = startOrder(registry, ['app:worker']);
    expect(order).toEqual(['app:handler', 'app:mem', 'app:dlq', 'app:jobs', 'app:worker']);
    expect(order.indexOf('app:mem')).toBeLessThan(order.indexOf('app:worker'));
  });

  it('includes only the given IDs and their dependencies', () => {
    expect(startOrder(registry, ['app:dlq', 'app:lonely'])).toEqual(['app:mem', 'app:dlq', 'app:lonely']);
    expect(startOrder(registry, [])).toEqual([]);
  });

  it('stops in reverse: consumers before the drivers they depend on', () => {
    expect(stopOrder(registry)).toEqual([...startOrder(registry)].reverse());
    expect(stopOrder(registry, ['app:worker'])).toEqual(['app:worker', 'app:jobs', 'app:dlq', 'app:mem', 'app:handler']);
  });

  it('throws NotFoundError for an unknown ID', () => {
    expect(() => dependenciesOf(registry, 'app:nope')).toThrow(NotFoundError);
    expect(() => startOrder(registry, ['app:nope'])).toThrow(NotFoundError);
  });

  it('throws ConfigError naming the cycle for a hand-built cyclic registry', () => {
    const base = registry.entries.get('app:lonely') as Entry & { lifecycle: { requires: readonly string[] } };
    const a = { ...base, id: 'x:a', lifecycle: { ...base.lifecycle, requires: ['x:b'] } } as Entry;
    const b = { ...base, id: 'x:b', lifecycle: { ...base.lifecycle, requires: ['x:a'] } } as Entry;
    const cyclic: Registry = { entries: new Map([['x:a', a], ['x:b', b]]), files: [] };
    expect(() => startOrder(cyclic)).toThrow(ConfigError);
    expect(() => startOrder(cyclic)).toThrow('dependency cycle: x:a -> x:b -> x:a');
  });
});
