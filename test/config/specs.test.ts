import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load-config.ts';
import { loadFunctions } from '../../src/functions/load-functions.ts';
import { checkFunctions } from '../../src/functions/check-functions.ts';
import { startOrder } from '../../src/config/dependency-graph.ts';
import type { ConsumerEntry } from '../../src/config/entry-types.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { silentLogger } from '../../src/util/logger.ts';

const specs = fileURLToPath(new URL('../../specs/', import.meta.url));
const invalid = join(specs, 'invalid');

/** Lines the error must contain: non-empty, not `#` comments (see specs/README.md). */
function expectedLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

/** Each case is `<case>.yaml` or a directory `<case>/`, next to `<case>.expected.txt`. */
const cases = readdirSync(invalid)
  .filter((n) => n.endsWith('.expected.txt'))
  .map((n) => {
    const name = n.slice(0, -'.expected.txt'.length);
    const target = [`${name}.yaml`, `${name}.yml`, name].map((t) => join(invalid, t)).find((t) => existsSync(t));
    return { name, target, expected: expectedLines(join(invalid, n)) };
  });

describe('specs/invalid', () => {
  it('has an expected file for every case', () => {
    const inputs = readdirSync(invalid).filter((n) => /\.ya?ml$/.test(n) || statSync(join(invalid, n)).isDirectory());
    const covered = new Set(cases.map((c) => c.target && basename(c.target)));
    expect(inputs.filter((n) => !covered.has(n))).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(16);
  });

  it.each(cases)('$name fails with the expected error', async ({ target, expected }) => {
    expect(target, 'no <case>.yaml or <case>/ next to the expected file').toBeDefined();
    let error: unknown;
    try {
      // What `actorq validate` does: nothing of the handlers runs.
      await checkFunctions(await loadConfig([target!]), { logger: silentLogger });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const line of expected) expect(message).toContain(line);
    // One line per problem, never a stack trace.
    expect(message.split('\n')).toHaveLength((error as ConfigError).issues.length);
    expect(message).not.toMatch(/\n\s+at /);
  });
});

describe('valid specs', () => {
  it.each(['seed', 'examples', 'wippy'])('specs/%s loads, with its functions', async (dir) => {
    const registry = await loadConfig([join(specs, dir)]);
    const functions = await loadFunctions(registry);
    expect(registry.entries.size).toBeGreaterThan(0);
    expect(functions.size).toBeGreaterThan(0);
    expect(startOrder(registry)).toHaveLength(registry.entries.size);
  });

  it('seed: the consumer is configured as the seed says and starts after the driver', async () => {
    const registry = await loadConfig([join(specs, 'seed')]);
    const consumer = registry.entries.get('app.queue:task_consumer') as ConsumerEntry;
    expect(consumer).toMatchObject({ concurrency: 4, prefetch: 20, lifecycle: { auto_start: true, requires: ['app.queue:tasks'] } });
    const order = startOrder(registry);
    expect(order.indexOf('app.queue:memory_driver')).toBeLessThan(order.indexOf('app.queue:task_consumer'));
  });

  it('seed: the handler acks normal tasks and throws for fail: true', async () => {
    const functions = await loadFunctions(await loadConfig([join(specs, 'seed')]));
    const { handler } = functions.get('app.queue:task_handler')!;
    const ctx = { logger: silentLogger } as never;
    await expect(Promise.resolve(handler({ id: 't1', action: 'process' }, ctx))).resolves.toMatchObject({ task_id: 't1' });
    await expect(Promise.resolve(handler(JSON.stringify({ id: 't2' }), ctx))).resolves.toMatchObject({ task_id: 't2' });
    await expect(Promise.resolve(handler({ id: 't3', fail: true }, ctx))).rejects.toThrow('task t3 failed');
  });

  it('examples: dead-letter queue and handler', async () => {
    const registry = await loadConfig([join(specs, 'examples', 'dead-letter.yaml')]);
    expect(registry.entries.get('app.orders:orders')).toMatchObject({ dead_letter: { queue: 'app.orders:orders_dlq', max_attempts: 3 }, driver_options: { memory: { max_length: 500 } } });
    const { handler } = (await loadFunctions(registry)).get('app.orders:process_order')!;
    const ctx = { logger: silentLogger } as never;
    await expect(Promise.resolve(handler({ id: 'o1', amount: 5 }, ctx))).resolves.toEqual({ order_id: 'o1' });
    await expect(Promise.resolve(handler({ id: 'o2', amount: 0 }, ctx))).rejects.toThrow('amount must be a positive number');
  });
});
