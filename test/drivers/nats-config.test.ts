import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { loadConfig } from '../../src/config/load-config.ts';
import { isDriverEntry, isQueueEntry } from '../../src/config/registry.ts';
import { builtinKinds } from '../../src/kinds/builtin-kinds.ts';
import { NatsDriver } from '../../src/drivers/nats/nats-driver.ts';
import { natsDriverOptionsSchema, natsQueueOptionsSchema } from '../../src/drivers/nats/nats-options.ts';
import { describeTarget } from '../../src/drivers/nats/nats-connect-options.ts';
import { defaultStreamName, placeOf } from '../../src/drivers/nats/nats-names.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import type { LogFields, Logger } from '../../src/util/logger.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { uniqueQueueName } from './conformance-helpers.ts';
import { adminConnection, destroyQueue, makeDriver } from './nats/nats-test-env.ts';

const specs = fileURLToPath(new URL('../../specs/nats/', import.meta.url));

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (m: string, f?: LogFields) => void lines.push(`${m} ${JSON.stringify(f ?? {})}`);
  return { logger: { debug: log, info: log, warn: log, error: log }, lines };
}

describe('nats driver: configuration', () => {
  it('is a built-in kind with its options key', () => {
    const kind = builtinKinds.drivers.get('queue.driver.nats');
    expect(kind?.optionsKey).toBe('nats');
  });

  it('specs/nats/queue.yaml loads with the defaults', async () => {
    const registry = await loadConfig([join(specs, 'queue.yaml')]);
    const entries = [...registry.entries.values()];
    expect(entries.find(isDriverEntry)!.options).toMatchObject({ servers: 'nats://127.0.0.1:4222', reconnect_delay: 500, publish_timeout: 30_000 });
    const tasks = entries.filter(isQueueEntry).find((e) => e.name === 'tasks')!;
    expect(tasks.driver_options['nats'] ?? natsQueueOptionsSchema.parse({})).toEqual({
      ack_wait: 30_000,
      storage: 'file',
      replicas: 1,
      max_age: 0,
      duplicate_window: 120_000,
    });
  });

  it('each specs/nats/invalid case fails with its expected lines, never echoing a secret', async () => {
    const dir = join(specs, 'invalid');
    const cases = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
    expect(cases.length).toBeGreaterThan(0);
    for (const file of cases) {
      const error = await loadConfig([join(dir, file)]).then(() => undefined, (e: Error) => e);
      expect(error, file).toMatchObject({ code: 'CONFIG_INVALID' });
      const expected = (await readFile(join(dir, file.replace(/\.yaml$/, '.expected.txt')), 'utf8')).split('\n').filter((l) => l.trim() && !l.startsWith('#'));
      for (const line of expected) expect(error!.message, file).toContain(line);
      expect(error!.message).not.toContain('hunter2');
    }
  });

  it('names: the stream defaults to the queue name, made valid and kept distinct; bad names are config errors naming the field', () => {
    expect(defaultStreamName('tasks')).toBe('tasks');
    expect(defaultStreamName('app.tasks')).toMatch(/^app_tasks_[0-9a-f]{8}$/);
    expect(defaultStreamName('app.tasks')).not.toBe(defaultStreamName('app_tasks'));
    const place = placeOf({ id: 'app:tasks', name: 'app.tasks', options: {} });
    expect(place).toMatchObject({ subject: 'app.tasks', durable: 'actorq', nextSubject: `$JS.API.CONSUMER.MSG.NEXT.${place.stream}.actorq` });
    const fail = (name: string, options: Record<string, unknown>) => {
      try {
        placeOf({ id: 'app:q', name, options });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).issues[0]!;
      }
      throw new Error('expected a ConfigError');
    };
    expect(fail('my tasks', {})).toMatchObject({ entryId: 'app:q', field: 'queue_name', message: expect.stringContaining('set driver_options.nats.subject') });
    expect(fail('q', { subject: 'orders.*' })).toMatchObject({ field: 'driver_options.nats.subject', message: expect.stringContaining('wildcards') });
    expect(fail('q', { subject: '$JS.API.x' })).toMatchObject({ field: 'driver_options.nats.subject' });
    expect(fail('q', { stream: 'A.B' })).toMatchObject({ field: 'driver_options.nats.stream' });
  });

  it('schema: one way to authenticate, password needs a user, defaults', () => {
    expect(natsDriverOptionsSchema.safeParse({ token: 't', credentials: '/x.creds' }).success).toBe(false);
    expect(natsDriverOptionsSchema.safeParse({ password: 'p' }).success).toBe(false);
    expect(natsDriverOptionsSchema.parse({})).toMatchObject({ servers: 'nats://127.0.0.1:4222', connect_timeout: 10_000, request_timeout: 10_000 });
    expect(natsDriverOptionsSchema.parse({ servers: ['127.0.0.1:4222', 'tls://n2:4222'] }).servers).toHaveLength(2);
  });
});

describe('nats driver: secrets are never printed', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer({ args: ['--user', 'app', '--pass', 'right-pass'] });
  }, 30_000);
  afterAll(() => server?.stop());

  it('describeTarget masks passwords and tokens in server URLs', () => {
    const t = describeTarget(natsDriverOptionsSchema.parse({ servers: ['nats://app:hunter2@n1:4222', 'nats://tok-hunter2@n2:4222', 'n3:4222'], password: undefined }));
    expect(t.display).toBe('nats://app:***@n1:4222,nats://***@n2:4222,n3:4222');
    expect(t.secrets).toEqual(['hunter2', 'tok-hunter2']);
  });

  it('a refused login reports the target without the password, in errors and logs', async () => {
    for (const options of [
      { servers: `nats://127.0.0.1:${server.port}`, user: 'app', password: 'hunter2' },
      { servers: `nats://app:hunter2@127.0.0.1:${server.port}` },
    ]) {
      const { logger, lines } = recordingLogger();
      const driver = new NatsDriver('test:masked', natsDriverOptionsSchema.parse({ ...options, connect_timeout: 2000 }), { logger });
      const error = (await driver.start().then(() => undefined, (e: unknown) => e)) as Error & { code: string; cause?: unknown };
      expect(error.code).toBe('DRIVER_UNAVAILABLE');
      expect(error.message).toContain(`127.0.0.1:${server.port}`);
      const everything = [error.message, String(error.stack), String(error.cause), driver.target, ...lines].join('\n');
      expect(everything).not.toContain('hunter2');
      await driver.stop();
    }
  });

  it('the right credentials connect', async () => {
    const driver = new NatsDriver('test:auth', natsDriverOptionsSchema.parse({ servers: server.url, user: 'app', password: 'right-pass' }));
    await driver.start();
    expect(driver.connectionState).toBe('connected');
    await driver.stop();
  });
});

describe('nats driver: a stream that cannot serve as the queue is a config error naming the field', () => {
  const names: string[] = [];
  const driver = makeDriver();
  beforeAll(() => driver.start());
  afterAll(async () => {
    await driver.stop();
    for (const n of names) await destroyQueue(n);
  });
  const fresh = () => {
    const name = uniqueQueueName('natscfg');
    names.push(name);
    return name;
  };

  it('another retention, other subjects, other storage, or another consumer on the work queue', async () => {
    const { nc, jsm } = await adminConnection();
    try {
      const limits = fresh();
      await jsm.streams.add({ name: limits, subjects: [limits], retention: RetentionPolicy.Limits });
      await expect(driver.declare({ id: 'app:a', name: limits, options: {} })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        issues: [{ entryId: 'app:a', field: 'driver_options.nats.stream', message: expect.stringContaining('limits retention') }],
      });
      const subjects = fresh();
      await jsm.streams.add({ name: subjects, subjects: [`${subjects}.>`], retention: RetentionPolicy.Workqueue });
      await expect(driver.declare({ id: 'app:b', name: subjects, options: {} })).rejects.toMatchObject({ issues: [{ field: 'driver_options.nats.subject' }] });
      const storage = fresh();
      await jsm.streams.add({ name: storage, subjects: [storage], retention: RetentionPolicy.Workqueue, storage: StorageType.Memory });
      await expect(driver.declare({ id: 'app:c', name: storage, options: {} })).rejects.toMatchObject({ issues: [{ field: 'driver_options.nats.storage' }] });
      const taken = fresh();
      await jsm.streams.add({ name: taken, subjects: [taken], retention: RetentionPolicy.Workqueue });
      await jsm.consumers.add(taken, { durable_name: 'someone_else', ack_policy: 'explicit' as never });
      await expect(driver.declare({ id: 'app:d', name: taken, options: {} })).rejects.toMatchObject({ issues: [{ field: 'driver_options.nats.stream', message: expect.stringContaining('another consumer') }] });
    } finally {
      await nc.close();
    }
  });

  it('settings the configuration can change in place are updated to it, and logged', async () => {
    const name = fresh();
    const { logger, lines } = recordingLogger();
    const d = new NatsDriver('test:update', natsDriverOptionsSchema.parse({ servers: makeDriver().target }), { logger });
    await d.start();
    try {
      await d.declare({ id: 'app:u', name, options: natsQueueOptionsSchema.parse({ ack_wait: '5s' }) });
      await d.declare({ id: 'app:u', name, options: natsQueueOptionsSchema.parse({ ack_wait: '7s', max_age: '1h' }) });
      const { nc, jsm } = await adminConnection();
      try {
        expect((await jsm.streams.info(name)).config.max_age).toBe(3_600_000 * 1e6);
        expect((await jsm.consumers.info(name, 'actorq')).config.ack_wait).toBe(7_000 * 1e6);
      } finally {
        await nc.close();
      }
      expect(lines.filter((l) => l.includes('updated to the configuration'))).toHaveLength(2);
    } finally {
      await d.stop();
    }
  });
});
