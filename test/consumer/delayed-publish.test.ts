import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/create-runtime.ts';
import { InvalidMessageError } from '../../src/errors/message-errors.ts';
import { runtimeOf, until } from '../support/runtime-kit.ts';

/*
 * Delayed publish through the runtime (memory driver): the `delay` option
 * of publish, publishBatch and ctx.publish, and the neutral `delay` header.
 * Lower bounds strict, upper bounds loose.
 */

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

const LATE_MS = 1000;

const yaml = `
namespace: t
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: t:d }
  - { name: out, kind: queue.queue, driver: t:d }
  - { name: c, kind: queue.consumer, queue: t:q, func: t:h, concurrency: 2, lifecycle: { auto_start: true } }
  - { name: oc, kind: queue.consumer, queue: t:out, func: t:oh, lifecycle: { auto_start: true } }
`;

type Seen = { body: unknown; at: number; headers: Record<string, unknown> };

function start(onQ?: (body: unknown, ctx: Parameters<Parameters<typeof runtimeOf>[1][string]>[1]) => unknown) {
  const q: Seen[] = [];
  const out: Seen[] = [];
  runtime = runtimeOf(yaml, {
    't:h': (body, ctx) => {
      q.push({ body, at: performance.now(), headers: { ...ctx.message.headers } });
      return onQ?.(body, ctx);
    },
    't:oh': (body, ctx) => void out.push({ body, at: performance.now(), headers: { ...ctx.message.headers } }),
  });
  return { q, out };
}

describe('delayed publish', () => {
  it('publish({ delay }) and publishBatch({ delay }): not before the delay, counted as delayed meanwhile; others go first', async () => {
    const { q } = start();
    await runtime!.start();
    const sent = performance.now();
    await runtime!.publish('t:q', 'one', { delay: '200ms' });
    await runtime!.publishBatch('t:q', ['b1', 'b2'], { delay: 250 });
    await runtime!.publish('t:q', 'now');
    expect((await runtime!.info('t:q')).delayed).toBe(3);
    await until(() => q.length === 4, 'all four', 250 + LATE_MS);
    expect(q.map((s) => s.body)).toEqual(['now', 'one', 'b1', 'b2']);
    expect(q[1]!.at - sent).toBeGreaterThanOrEqual(200);
    expect(q[2]!.at - sent).toBeGreaterThanOrEqual(250);
    expect(q[3]!.at - sent).toBeGreaterThanOrEqual(250);
    expect(await runtime!.info('t:q')).toMatchObject({ delayed: 0, message_count: 0 });
  });

  it('ctx.publish({ delay }) from a handler', async () => {
    let sent = 0;
    const { out } = start(async (_body, ctx) => {
      sent = performance.now();
      await ctx.publish('t:out', { later: true }, { delay: '150ms', headers: { k: 'v' } });
    });
    await runtime!.start();
    await runtime!.publish('t:q', 'go');
    await until(() => out.length === 1, 'the delayed message', 150 + LATE_MS);
    expect(out[0]!.at - sent).toBeGreaterThanOrEqual(150);
    expect(out[0]!.headers['k']).toBe('v');
  });

  it('the neutral delay header means the same and is consumed, not stored', async () => {
    const { q } = start();
    await runtime!.start();
    const sent = performance.now();
    await runtime!.publish('t:q', 'h', { headers: { delay: '150ms', trace: 'x' } });
    await runtime!.publishBatch('t:q', ['hb'], { headers: { delay: 150 } });
    // A driver's own header for another driver is just a header here.
    await runtime!.publish('t:q', 'amqp-only', { headers: { 'amqp.x_delay': 5000 } });
    await until(() => q.length === 3, 'all three', 150 + LATE_MS);
    expect(q[0]!.body).toBe('amqp-only');
    expect(q[0]!.headers['amqp.x_delay']).toBe(5000);
    for (const s of q.slice(1)) {
      expect(s.at - sent).toBeGreaterThanOrEqual(150);
      expect(s.headers).not.toHaveProperty('delay');
    }
    expect(q.find((s) => s.body === 'h')!.headers['trace']).toBe('x');
  });

  it('a bad delay is InvalidMessageError naming the field, and nothing is stored', async () => {
    start();
    await runtime!.start();
    await expect(runtime!.publish('t:q', 'x', { delay: 'tomorrow' })).rejects.toThrow(/^publish to t:q: option delay must be a number of milliseconds/);
    await expect(runtime!.publishBatch('t:q', ['x', 'y'], { headers: { delay: -1 } })).rejects.toThrow('publish to t:q: header "delay" must be');
    await expect(runtime!.publish('t:q', 'x', { delay: '30d' as never })).rejects.toBeInstanceOf(InvalidMessageError);
    await expect(runtime!.publish('t:q', 'x', { delay: '600h' })).rejects.toThrow('exceeds the maximum');
    await expect(runtime!.publish('t:q', 'x', { delay: 1, headers: { delay: 1 } })).rejects.toThrow('give the delay once');
    expect(await runtime!.info('t:q')).toMatchObject({ ready: 0, delayed: 0, message_count: 0 });
  });
});
