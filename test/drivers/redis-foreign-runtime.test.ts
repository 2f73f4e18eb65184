import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { queueKeys } from '../../src/drivers/redis/redis-keys.ts';
import type { Runtime } from '../../src/runtime/create-runtime.ts';
import { recordingLogger, runtimeOf, until } from '../support/runtime-kit.ts';
import { REDIS_URL, adminClient, deletePrefix, uniquePrefix } from './redis/redis-test-env.ts';
import { MALFORMED } from './redis/foreign-entries.ts';

/*
 * The user's view: a runtime from YAML on Redis, and another program
 * writing into its queue. Every good message is handled, foreign entries
 * reach the dead-letter consumer (or are parked), the process neither
 * crashes nor wedges, and stop() returns.
 */

const prefix = uniquePrefix('foreign-rt');

function yaml(q: string, withDeadLetter: boolean): string {
  return `
namespace: t
entries:
  - name: d
    kind: queue.driver.redis
    url: ${REDIS_URL}
    key_prefix: "${prefix}"
    reconnect_delay: 50ms
    lifecycle: { auto_start: true }
  - name: q
    kind: queue.queue
    queue_name: ${q}
    driver: t:d
    ${withDeadLetter ? 'dead_letter: { queue: t:dlq, max_attempts: 3 }' : ''}
  - { name: dlq, kind: queue.queue, queue_name: ${q}-dlq, driver: t:d }
  - name: c
    kind: queue.consumer
    queue: t:q
    func: t:h
    concurrency: 2
    prefetch: 5
    lifecycle: { auto_start: true, stop_timeout: 2s }
  - { name: dc, kind: queue.consumer, queue: t:dlq, func: t:dh, lifecycle: { auto_start: true } }
`;
}

describe('runtime on redis: foreign entries in a queue', { timeout: 30_000 }, () => {
  let admin: Redis;
  let runtime: Runtime | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => void unhandled.push(e);

  beforeAll(() => {
    admin = adminClient();
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
    expect(unhandled).toEqual([]);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await admin.quit();
    await deletePrefix(prefix);
  });

  it('handles every good message, dead-letters each foreign entry, and trusts no foreign attempts', async () => {
    const q = `foreign-${process.pid}-${Date.now().toString(36)}`;
    const calls = new Map<string, number>();
    const handled: unknown[] = [];
    const dead: { body: unknown; headers: Record<string, unknown> }[] = [];
    runtime = runtimeOf(yaml(q, true), {
      't:h': (body, ctx) => {
        const id = ctx.message.id;
        calls.set(id, (calls.get(id) ?? 0) + 1);
        // `hnull` (headers: null) fails once: its retry reads attempts from the sanitised headers.
        if (body?.fail === 'once' && calls.get(id) === 1) throw new Error('first try fails');
        if (body?.fail === 'always') throw new Error('always fails');
        handled.push(body);
      },
      't:dh': (body, ctx) => void dead.push({ body, headers: { ...ctx.message.headers } }),
    });
    await runtime.start();
    const ready = queueKeys(prefix, q).ready;
    for (let i = 0; i < MALFORMED.length; i++) {
      await runtime.publish('t:q', { n: i });
      await admin.rpush(ready, MALFORMED[i]!.raw);
    }
    await admin.rpush(ready, '["hnull",null,{"fail":"once"}]', '["neg",{"attempts":-5},{"fail":"always"}]');
    await runtime.publish('t:q', { n: 'last' });

    const goods = MALFORMED.length + 1;
    await until(() => handled.length === goods + 1 && dead.length === MALFORMED.length + 1, 'good messages handled and foreign ones dead-lettered', 10_000);
    expect(handled).toEqual(expect.arrayContaining([...MALFORMED.map((_, i) => ({ n: i })), { n: 'last' }, { fail: 'once' }]));
    expect(calls.get('hnull')).toBe(2);
    // attempts -5 counts as 0: dead-lettered after exactly max_attempts (3) tries.
    expect(calls.get('neg')).toBe(3);
    for (const m of MALFORMED) {
      const d = dead.find((x) => x.body === m.raw);
      expect(d, m.label).toBeDefined();
      expect(d!.headers['x_dead_letter_reason']).toMatch(m.reason);
      expect(d!.headers['x_original_queue']).toBe('t:q');
    }
    expect(dead.find((x) => (x.body as { fail?: string })?.fail === 'always')?.headers).toMatchObject({ attempts: 3, x_original_queue: 't:q' });
    expect(runtime.consumerStats('t:c')).toMatchObject({ running: 0 });

    // Still consuming.
    await runtime.publish('t:q', { n: 'after' });
    await until(() => handled.some((b) => (b as { n?: unknown })?.n === 'after'), 'a message after the foreign ones');
  });

  it('without a dead-letter queue parks them: runtime.info() counts them and an error line names queue and reason', async () => {
    const q = `parked-${process.pid}-${Date.now().toString(36)}`;
    const logger = recordingLogger();
    const handled: unknown[] = [];
    runtime = runtimeOf(yaml(q, false), { 't:h': (body) => void handled.push(body), 't:dh': () => {} }, logger);
    await runtime.start();
    const ready = queueKeys(prefix, q).ready;
    for (let i = 0; i < MALFORMED.length; i++) {
      await runtime.publish('t:q', { n: i });
      await admin.rpush(ready, MALFORMED[i]!.raw);
    }
    await until(() => handled.length === MALFORMED.length, 'good messages handled');
    await until(async () => (await runtime!.info('t:q')).parked === MALFORMED.length, 'parked count');
    const errors = logger.records.filter((r) => r.level === 'error' && r.fields?.['queue'] === q);
    expect(errors).toHaveLength(MALFORMED.length);
    expect(errors.map((e) => e.fields?.['reason'])).toEqual(expect.arrayContaining(MALFORMED.map((m) => expect.stringMatching(m.reason))));
    await runtime.publish('t:q', { n: 'after' });
    await until(() => handled.length === MALFORMED.length + 1, 'a message after the foreign ones');
  });
});
