import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { RedisDriver } from '../../src/drivers/redis/redis-driver.ts';
import { redisDriverOptionsSchema, redisQueueOptionsSchema } from '../../src/drivers/redis/redis-kind.ts';
import { describeTarget, maskUrl } from '../../src/drivers/redis/redis-client-options.ts';
import { isDriverEntry, isQueueEntry } from '../../src/config/registry.ts';
import type { LogFields } from '../../src/util/logger.ts';

const specs = fileURLToPath(new URL('../../specs/redis/', import.meta.url));

describe('redis driver: configuration', () => {
  it('specs/redis/tasks.yaml loads with defaults and durations in ms', async () => {
    const registry = await loadConfig([join(specs, 'tasks.yaml')]);
    const entries = [...registry.entries.values()];
    const driver = entries.find(isDriverEntry)!;
    expect(driver.options).toMatchObject({ url: 'redis://127.0.0.1:6379', key_prefix: 'actorq:', reconnect_delay: 500, reconnect_max_delay: 30_000 });
    const tasks = entries.filter(isQueueEntry).find((e) => e.name === 'tasks')!;
    expect(tasks.driver_options['redis']).toEqual({ max_length: 100_000, on_full: 'wait', visibility_timeout: 30_000, message_ttl: 3_600_000 });
    const dlq = entries.filter(isQueueEntry).find((e) => e.name === 'tasks_dlq')!;
    expect(dlq.driver_options['redis']).toEqual({ on_full: 'wait', visibility_timeout: 30_000 });
  });

  it('each specs/redis/invalid case fails with its expected lines, never echoing a password', async () => {
    const dir = join(specs, 'invalid');
    const cases = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
    expect(cases.length).toBeGreaterThan(0);
    for (const file of cases) {
      const error = await loadConfig([join(dir, file)]).then(() => undefined, (e: Error) => e);
      expect(error, file).toMatchObject({ code: 'CONFIG_INVALID' });
      const expected = (await readFile(join(dir, file.replace(/\.yaml$/, '.expected.txt')), 'utf8'))
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'));
      for (const line of expected) expect(error!.message, file).toContain(line);
      expect(error!.message).not.toContain('hunter2');
    }
  });

  it('defaults: url, key_prefix, reconnect; queue visibility_timeout 30s, on_full wait', () => {
    expect(redisDriverOptionsSchema.parse({})).toMatchObject({ key_prefix: 'actorq:', reconnect_delay: 500, reconnect_max_delay: 30_000 });
    expect(redisQueueOptionsSchema.parse({})).toEqual({ on_full: 'wait', visibility_timeout: 30_000 });
  });
});

describe('redis driver: passwords are never printed', () => {
  it('maskUrl hides URL passwords in every spelling', () => {
    expect(maskUrl('redis://app:s3cret@db:6379/2')).toBe('redis://app:***@db:6379/2');
    expect(maskUrl('rediss://:s3cret@db:6380')).toBe('rediss://:***@db:6380');
    expect(maskUrl('redis://s3cret@db')).toBe('redis://***@db');
    expect(maskUrl('redis://db:6379?password=s3cret&db=1')).toBe('redis://db:6379?password=***&db=1');
    expect(maskUrl('redis://db:6379')).toBe('redis://db:6379');
    expect(describeTarget(redisDriverOptionsSchema.parse({ host: 'db', port: 7000, password: 's3cret' }))).toBe('redis://***@db:7000');
  });

  it('a failed connect reports the target with the password masked, in errors and logs', async () => {
    const lines: string[] = [];
    const log = (m: string, f?: LogFields) => lines.push(`${m} ${JSON.stringify(f ?? {})}`);
    const options = redisDriverOptionsSchema.parse({ url: 'redis://admin:hunter2@127.0.0.1:1/0', connect_timeout: 500 });
    const driver = new RedisDriver('test:masked', options, { logger: { debug: log, info: log, warn: log, error: log } });
    const error = (await driver.start().then(() => undefined, (e: unknown) => e)) as Error & { code: string; cause?: unknown };
    expect(error.code).toBe('DRIVER_UNAVAILABLE');
    expect(error.message).toContain('redis://admin:***@127.0.0.1:1/0');
    const everything = [error.message, String(error.stack), String(error.cause), driver.target, ...lines].join('\n');
    expect(everything).not.toContain('hunter2');
    await driver.stop();
  });
});
