import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../../src/drivers/memory/memory-driver.ts';
import { memoryQueueOptionsSchema } from '../../src/drivers/memory/memory-kind.ts';
import { QueueFullError } from '../../src/errors/queue-full-error.ts';
import { collect } from './conformance-helpers.ts';
import { runtimeOf } from '../support/runtime-kit.ts';

const m = (n: number) => ({ id: String(n), body: n, headers: {} });

async function setup(options: Record<string, unknown>): Promise<MemoryDriver> {
  const driver = new MemoryDriver('test:mem');
  await driver.start();
  await driver.declare({ id: 'test:q', name: 'q', options: memoryQueueOptionsSchema.parse(options) });
  return driver;
}

describe('memory driver: bounded waiting publishers', () => {
  it('beyond max_waiting a publish rejects at once with QueueFullError, storing nothing; the waiters still get in', async () => {
    const driver = await setup({ max_length: 2, max_waiting: 3 });
    await driver.publish('q', [m(1), m(2)]);
    const waiting = [driver.publish('q', [m(3)]), driver.publish('q', [m(4), m(5)]), driver.publish('q', [m(6)])];
    const refused = driver.publish('q', [m(99)]);
    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toMatchObject({ code: 'QUEUE_FULL', retryable: true });
    await expect(refused).rejects.toThrow(/queue full \(max_length 2\) and 3 publish calls already waiting \(max_waiting 3\)/);
    expect((await driver.info('q')).ready).toBe(2);

    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 10 });
    const got = collect(c, 6);
    c.request(10);
    const bodies = (await got).map((d) => d.body);
    await Promise.all(waiting);
    // Every waiter's messages, in order, and never the refused one.
    expect(bodies).toEqual([1, 2, 3, 4, 5, 6]);
    // Room again: a publish is accepted (six held by the consumer, one more).
    await driver.publish('q', [m(7)]);
    expect((await driver.info('q')).message_count).toBe(7);
    await driver.stop();
  });

  it('max_waiting 0: a full queue never makes a publisher wait', async () => {
    const driver = await setup({ max_length: 1, max_waiting: 0 });
    await driver.publish('q', [m(1)]);
    await expect(driver.publish('q', [m(2)])).rejects.toBeInstanceOf(QueueFullError);
    // A batch that only partly fits is refused whole.
    const d2 = await setup({ max_length: 2, max_waiting: 0 });
    await expect(d2.publish('q', [m(1), m(2), m(3)])).rejects.toBeInstanceOf(QueueFullError);
    expect((await d2.info('q')).ready).toBe(0);
    await driver.stop();
    await d2.stop();
  });

  it('an aborted waiter frees its place', async () => {
    const driver = await setup({ max_length: 1, max_waiting: 1 });
    await driver.publish('q', [m(1)]);
    const ac = new AbortController();
    const aborted = driver.publish('q', [m(2)], { signal: ac.signal });
    await expect(driver.publish('q', [m(3)])).rejects.toBeInstanceOf(QueueFullError);
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    const next = driver.publish('q', [m(4)]);
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 10 });
    const got = collect(c, 2);
    c.request(10);
    expect((await got).map((d) => d.body)).toEqual([1, 4]);
    await next;
    await driver.stop();
  });

  it('by default 10,000 publish calls wait; the next one fails at once (publishes fired without awaiting stay bounded)', async () => {
    const runtime = runtimeOf(
      `
namespace: t
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: t:d }
`,
      {},
    );
    await runtime.start();
    // Default max_length 1000 fills first; then 10,000 wait.
    const fired: Promise<void>[] = [];
    for (let i = 0; i < 11_000; i++) fired.push(runtime.publish('t:q', i));
    const outcomes = await Promise.race([
      Promise.allSettled(fired.slice(11_000 - 1)).then(() => 'settled'),
      new Promise((r) => setTimeout(() => r('pending'), 200)),
    ]);
    expect(outcomes).toBe('pending');
    const extra = runtime.publish('t:q', 'one too many');
    await expect(extra).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    expect((await runtime.info('t:q')).ready).toBe(1000);
    await runtime.stop();
    // Stopping the driver rejects the waiters (nothing hangs).
    const settled = await Promise.allSettled(fired);
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1000);
    expect(settled.filter((s) => s.status === 'rejected' && (s.reason as { code?: string }).code === 'DRIVER_STOPPED')).toHaveLength(10_000);
  });

  it('single-message publishes that find the queue full wait in shared groups: stored in order, each settles once stored', async () => {
    const driver = await setup({ max_length: 2 });
    const offered = Array.from({ length: 200 }, (_, i) => driver.publishOne('q', m(i + 1)));
    // Stored on the spot: no promise made at all.
    expect(offered.slice(0, 2)).toEqual([undefined, undefined]);
    const waiting = offered.slice(2) as Promise<void>[];
    expect(waiting.every((p) => p instanceof Promise)).toBe(true);
    // 198 waiting publishes share a few promises (groups of up to max_length, here 2), not one each.
    expect(new Set(waiting).size).toBe(99);
    let settled = 0;
    for (const p of waiting) void p.then(() => settled++);
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 1000 });
    const got = collect(c, 200);
    c.request(1000);
    expect((await got).map((d) => d.body)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    await Promise.all(waiting);
    expect(settled).toBe(198);
    await driver.stop();
  });

  it('a waiting group goes in whole or not at all: a stop rejects every member and stores none of them', async () => {
    const driver = await setup({ max_length: 4 });
    for (let i = 1; i <= 4; i++) expect(driver.publishOne('q', m(i))).toBeUndefined();
    const group = [5, 6, 7].map((i) => driver.publishOne('q', m(i)));
    expect(new Set(group).size).toBe(1);
    // One place frees up: too little for the group of three, so none of it is admitted.
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 1 });
    const first = collect(c, 1);
    c.request(1);
    expect((await first).map((d) => d.body)).toEqual([1]);
    expect((await driver.info('q')).ready).toBe(3);
    await driver.stop();
    await expect(group[0]).rejects.toMatchObject({ code: 'DRIVER_STOPPED' });
    await driver.start();
    expect((await driver.info('q')).ready).toBe(3);
    await driver.stop();
  });

  it('a group larger than a lowered max_length still gets in once the queue is empty', async () => {
    const driver = await setup({ max_length: 8 });
    for (let i = 1; i <= 8; i++) driver.publishOne('q', m(i));
    const group = Array.from({ length: 8 }, (_, i) => driver.publishOne('q', m(i + 9)));
    await driver.declare({ id: 'test:q', name: 'q', options: memoryQueueOptionsSchema.parse({ max_length: 2 }) });
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 100 });
    const got = collect(c, 16);
    c.request(100);
    expect((await got).map((d) => d.body)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    await Promise.all(group);
    await driver.stop();
  });

  it('max_waiting counts each publish of a group', async () => {
    const driver = await setup({ max_length: 1, max_waiting: 3 });
    driver.publishOne('q', m(1));
    const waiting = [2, 3, 4].map((i) => driver.publishOne('q', m(i)));
    await expect(driver.publishOne('q', m(5))).rejects.toBeInstanceOf(QueueFullError);
    await expect(driver.publish('q', [m(6)])).rejects.toBeInstanceOf(QueueFullError);
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 10 });
    const got = collect(c, 4);
    c.request(10);
    expect((await got).map((d) => d.body)).toEqual([1, 2, 3, 4]);
    await Promise.all(waiting);
    await driver.stop();
  });

  it('max_waiting must be a whole number >= 0', () => {
    expect(memoryQueueOptionsSchema.safeParse({ max_waiting: -1 }).success).toBe(false);
    expect(memoryQueueOptionsSchema.safeParse({ max_waiting: 1.5 }).success).toBe(false);
    expect(memoryQueueOptionsSchema.parse({})).toEqual({ max_length: 1000, max_waiting: 10_000 });
  });
});
