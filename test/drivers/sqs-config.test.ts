import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { loadFunctions } from '../../src/functions/load-functions.ts';
import { startOrder } from '../../src/config/dependency-graph.ts';
import { isDriverEntry, isQueueEntry } from '../../src/config/registry.ts';
import { SqsDriver } from '../../src/drivers/sqs/sqs-driver.ts';
import { sqsDriverSchema, sqsQueueOptionsSchema } from '../../src/drivers/sqs/sqs-kind.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { plainCopy } from '../../src/inspect/sanitize-inspection.ts';
import type { LogFields } from '../../src/util/logger.ts';
import { TEST_KEY_ID, TEST_SECRET, driverOptions } from './sqs/sqs-test-env.ts';

const specs = fileURLToPath(new URL('../../specs/sqs/', import.meta.url));

describe('sqs driver: configuration', () => {
  it('specs/sqs/queue.yaml loads, with the seed handler, and starts the driver before the consumer', async () => {
    const registry = await loadConfig([join(specs, 'queue.yaml')]);
    const entries = [...registry.entries.values()];
    expect(entries.find(isDriverEntry)!.options).toEqual({
      region: 'us-east-1',
      message_retention_period: 345_600,
      default_delay_seconds: 0,
      reconnect_delay: 1_000,
      reconnect_max_delay: 30_000,
      publish_timeout: 30_000,
    });
    expect(entries.filter(isQueueEntry)[0]!.driver_options['sqs']).toEqual({ header_overflow: 'error' });
    expect((await loadFunctions(registry)).size).toBe(1);
    const order = startOrder(registry);
    expect(order.indexOf('app.queue:sqs_driver')).toBeLessThan(order.indexOf('app.queue:task_consumer'));
  });

  it('differs from the seed example only in its driver entry', async () => {
    const seed = await loadConfig([fileURLToPath(new URL('../../specs/seed/queue.yaml', import.meta.url))]);
    const sqs = await loadConfig([join(specs, 'queue.yaml')]);
    const strip = (r: typeof seed) =>
      [...r.entries.values()].filter((e) => !isDriverEntry(e)).map((e) => JSON.stringify(e, (k, v) => (k === 'driver' || k === 'base_dir' || k === 'file' || k === 'line' || k === 'driver_options' || k === 'requires' ? undefined : v)));
    expect(strip(sqs)).toEqual(strip(seed));
  });

  it('each specs/sqs/invalid case fails with its expected lines, never echoing a key', async () => {
    const dir = join(specs, 'invalid');
    const cases = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
    expect(cases.length).toBeGreaterThanOrEqual(4);
    for (const file of cases) {
      const error = await loadConfig([join(dir, file)]).then(() => undefined, (e: Error) => e);
      expect(error, file).toBeInstanceOf(ConfigError);
      const expected = (await readFile(join(dir, file.replace(/\.yaml$/, '.expected.txt')), 'utf8')).split('\n').filter((l) => l.trim() && !l.startsWith('#'));
      for (const line of expected) expect(error!.message, file).toContain(line);
      expect(error!.message).not.toContain('hunter2');
      expect(error!.message).not.toContain('AKIAEXAMPLE');
      expect(error!.message).not.toMatch(/\n\s+at /);
    }
  });

  it('times SQS counts in seconds take seconds or durations, days included', () => {
    const o = (fields: Record<string, unknown>) => sqsDriverSchema.parse({ region: 'r', ...fields });
    expect(o({ message_retention_period: '4d' }).message_retention_period).toBe(345_600);
    expect(o({ message_retention_period: '1d12h' }).message_retention_period).toBe(129_600);
    expect(o({ message_retention_period: 3600 }).message_retention_period).toBe(3600);
    expect(o({ default_delay_seconds: '15m' }).default_delay_seconds).toBe(900);
    expect(() => o({ default_delay_seconds: '16m' })).toThrow(/0 to 900 seconds/);
    expect(sqsQueueOptionsSchema.parse({ visibility_timeout: '30s', wait_time: 20, default_visibility_timeout: '1m' })).toEqual({
      visibility_timeout: 30,
      wait_time: 20,
      default_visibility_timeout: 60,
      header_overflow: 'error',
    });
    expect(sqsQueueOptionsSchema.parse({})).toEqual({ header_overflow: 'error' });
    expect(o({ visibility_timeout: '2m', wait_time_seconds: 5 })).toMatchObject({ visibility_timeout: 120, wait_time_seconds: 5 });
  });

  it('a driver without a region anywhere is a config error naming the field; AWS_REGION or an endpoint supplies one', () => {
    const bare = sqsDriverSchema.parse({});
    const error = (() => {
      try {
        new SqsDriver('app:sqs', bare, { env: {} });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues[0]).toMatchObject({ entryId: 'app:sqs', field: 'region' });
    expect(new SqsDriver('app:sqs', bare, { env: { AWS_REGION: 'eu-west-1' } }).target).toBe('sqs eu-west-1');
    expect(new SqsDriver('app:sqs', sqsDriverSchema.parse({ endpoint: 'http://127.0.0.1:9' }), { env: {} }).target).toBe('sqs us-east-1 at http://127.0.0.1:9');
  });
});

describe('sqs driver: credentials are never printed', () => {
  it('an unreachable endpoint fails the start with the target named and no key in errors, logs or the connection machine', async () => {
    const lines: string[] = [];
    const log = (m: string, f?: LogFields) => lines.push(`${m} ${JSON.stringify(f ?? {})}`);
    const options = driverOptions('http://127.0.0.1:1', { session_token: 'session-token-never-printed' });
    const driver = new SqsDriver('test:masked', options, { logger: { debug: log, info: log, warn: log, error: log } });
    const error = (await driver.start().then(() => undefined, (e: unknown) => e)) as Error & { code: string; cause?: unknown };
    expect(error.code).toBe('DRIVER_UNAVAILABLE');
    expect(error.message).toContain('sqs us-east-1 at http://127.0.0.1:1');
    // What the inspector shows of the connection machine: its last error.
    const machine = JSON.stringify(plainCopy({ lastError: driver.connection.supervisor.lastError }, 8, new WeakSet(), false));
    const everything = [error.message, String(error.stack), String(error.cause), driver.target, machine, ...lines].join('\n');
    for (const secret of [TEST_SECRET, TEST_KEY_ID, 'session-token-never-printed']) expect(everything).not.toContain(secret);
    await driver.stop();
  });
});
