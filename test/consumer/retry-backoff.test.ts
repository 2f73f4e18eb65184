import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/create-runtime.ts';
import type { Handler } from '../../src/functions/handler.ts';
import { InvalidMessageError } from '../../src/errors/message-errors.ts';
import { recordingLogger, runtimeOf, until } from '../support/runtime-kit.ts';

/*
 * Retry backoff through the runtime on the memory driver: the queue's
 * `retry` policy, a handler's own delay (`nack` options, `retryAfter`),
 * attempts and dead-lettering across delays. Lower bounds are strict,
 * upper bounds loose (a shared machine); nothing here measures speed.
 */

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

/** Slack for "due, then delivered, then handled" on a busy machine. */
const LATE_MS = 1000;

interface Spec {
  retry?: string;
  maxAttempts?: number;
  concurrency?: number;
  prefetch?: number;
}

/** A memory queue `t:q` (optionally with `retry` and a dead-letter queue `t:dlq` read by `t:dc`), consumer `t:c` running `t:h`. */
function yaml(spec: Spec): string {
  return `
namespace: t
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - name: q
    kind: queue.queue
    driver: t:d
    ${spec.retry ? `retry: ${spec.retry}` : ''}
    ${spec.maxAttempts ? `dead_letter: { queue: t:dlq, max_attempts: ${spec.maxAttempts} }` : ''}
  - { name: dlq, kind: queue.queue, driver: t:d }
  - { name: c, kind: queue.consumer, queue: t:q, func: t:h, concurrency: ${spec.concurrency ?? 1}, prefetch: ${spec.prefetch ?? 1}, lifecycle: { auto_start: true } }
  - { name: dc, kind: queue.consumer, queue: t:dlq, func: t:dh, lifecycle: { auto_start: true } }
`;
}

/** Handler calls of one message: when, and with which `attempts` header. */
type Call = { at: number; attempts: unknown; body: unknown; headers: Record<string, unknown> };

function recorder() {
  const calls: Call[] = [];
  const dead: Call[] = [];
  const record = (into: Call[]) => (body: unknown, ctx: Parameters<Handler>[1]) =>
    void into.push({ at: performance.now(), attempts: ctx.message.headers['attempts'], body, headers: { ...ctx.message.headers } });
  return { calls, dead, onCall: record(calls), onDead: record(dead) };
}

const gaps = (calls: readonly Call[]) => calls.slice(1).map((c, i) => c.at - calls[i]!.at);

describe('queue retry policy', () => {
  it('gaps between attempts follow initial_delay * backoff_factor^(n-1) capped at max_delay; max_attempts still dead-letters, without a delay', async () => {
    const r = recorder();
    runtime = runtimeOf(yaml({ retry: '{ initial_delay: 100ms, backoff_factor: 2, max_delay: 300ms, jitter: 0 }', maxAttempts: 5 }), {
      't:h': (body, ctx) => {
        r.onCall(body, ctx);
        throw new Error('downstream is down');
      },
      't:dh': r.onDead,
    });
    await runtime.start();
    await runtime.publish('t:q', { job: 1 });
    await until(() => r.dead.length === 1, 'dead-lettered', 100 + 200 + 300 + 300 + 4 * LATE_MS);
    expect(r.calls.map((c) => c.attempts)).toEqual([undefined, 1, 2, 3, 4]);
    const expected = [100, 200, 300, 300];
    gaps(r.calls).forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i]!);
      expect(gap).toBeLessThan(expected[i]! + LATE_MS);
    });
    // The fifth failure dead-letters at once: no backoff (300ms) before it.
    expect(r.dead[0]!.at - r.calls[4]!.at).toBeLessThan(300);
    expect(r.dead[0]!.headers).toMatchObject({ attempts: 5, x_original_queue: 't:q', x_dead_letter_reason: 'downstream is down' });
    expect(runtime.consumerStats('t:c')).toMatchObject({ nacked: 5, deadLettered: 1, acked: 0 });
  });

  it('a backing-off message blocks nobody and holds no credit: others are handled meanwhile', async () => {
    const handled: { body: unknown; at: number }[] = [];
    runtime = runtimeOf(yaml({ retry: '{ initial_delay: 400ms, jitter: 0 }' }), {
      't:h': (body: string, ctx) => {
        handled.push({ body, at: performance.now() });
        if (body === 'bad' && ctx.message.headers['attempts'] === undefined) throw new Error('first try fails');
      },
      't:dh': () => {},
    });
    await runtime.start();
    await runtime.publish('t:q', 'bad');
    await until(() => handled.length === 1, 'first attempt');
    await runtime.publishBatch('t:q', ['a', 'b', 'c', 'd']);
    await until(() => handled.length === 6, 'everything', 400 + LATE_MS);
    expect(handled.map((h) => h.body)).toEqual(['bad', 'a', 'b', 'c', 'd', 'bad']);
    expect(handled[5]!.at - handled[0]!.at).toBeGreaterThanOrEqual(400);
    expect(handled[4]!.at - handled[0]!.at).toBeLessThan(400);
  });

  it('jitter spreads the delays within +/- its fraction', async () => {
    const r = recorder();
    runtime = runtimeOf(yaml({ retry: '{ initial_delay: 200ms, backoff_factor: 1, max_delay: 200ms, jitter: 0.5 }', maxAttempts: 4, concurrency: 1 }), {
      't:h': (body, ctx) => {
        r.onCall(body, ctx);
        throw new Error('x');
      },
      't:dh': r.onDead,
    });
    await runtime.start();
    await runtime.publish('t:q', 1);
    await until(() => r.dead.length === 1, 'dead-lettered', 3 * (300 + LATE_MS));
    for (const gap of gaps(r.calls)) {
      expect(gap).toBeGreaterThanOrEqual(100);
      expect(gap).toBeLessThan(300 + LATE_MS);
    }
  });
});

describe("a handler's own delay", () => {
  const forms: [string, Handler][] = [
    ['nack({ delay })', (_b, ctx) => void ctx.message.nack({ delay: 150 })],
    ['nack(reason, { delay })', (_b, ctx) => void ctx.message.nack('busy', { delay: '150ms' })],
    ['nack({ reason, delay })', (_b, ctx) => void ctx.message.nack({ reason: 'busy', delay: '150ms' })],
    ['an error with retryAfter (ms)', () => {
      throw Object.assign(new Error('rate limited'), { retryAfter: 150 });
    }],
    ['a rejection with retryAfter (duration)', async () => Promise.reject(Object.assign(new Error('rate limited'), { retryAfter: '150ms' }))],
  ];

  it.each(forms)('%s wins over the queue policy for that retry', async (_name, fail) => {
    const r = recorder();
    runtime = runtimeOf(yaml({ retry: '{ initial_delay: 5s, jitter: 0 }' }), {
      't:h': (body, ctx) => {
        r.onCall(body, ctx);
        if (ctx.message.headers['attempts'] === undefined) return fail(body, ctx);
      },
      't:dh': () => {},
    });
    await runtime.start();
    await runtime.publish('t:q', 'm');
    await until(() => r.calls.length === 2, 'second attempt', 150 + LATE_MS);
    expect(r.calls[1]!.at - r.calls[0]!.at).toBeGreaterThanOrEqual(150);
    expect(r.calls[1]!.attempts).toBe(1);
  });

  it('works without a policy, and an explicit delay of 0 retries at once despite one', async () => {
    const r = recorder();
    runtime = runtimeOf(yaml({}), {
      't:h': (body, ctx) => {
        r.onCall(body, ctx);
        if (ctx.message.headers['attempts'] === undefined) ctx.message.nack({ delay: '200ms' });
      },
      't:dh': () => {},
    });
    await runtime.start();
    await runtime.publish('t:q', 'm');
    await until(() => r.calls.length === 2, 'second attempt', 200 + LATE_MS);
    expect(r.calls[1]!.at - r.calls[0]!.at).toBeGreaterThanOrEqual(200);
    await runtime.stop();

    const r0 = recorder();
    runtime = runtimeOf(yaml({ retry: '{ initial_delay: 10s }' }), {
      't:h': (body, ctx) => {
        r0.onCall(body, ctx);
        if (ctx.message.headers['attempts'] === undefined) ctx.message.nack({ delay: 0 });
      },
      't:dh': () => {},
    });
    await runtime.start();
    await runtime.publish('t:q', 'm');
    await until(() => r0.calls.length === 2, 'an immediate retry', 5000);
  });

  it('attempts keep counting across handler delays; max_attempts dead-letters at once, ignoring the delay asked for', async () => {
    const r = recorder();
    runtime = runtimeOf(yaml({ maxAttempts: 3 }), {
      't:h': (body, ctx) => {
        r.onCall(body, ctx);
        ctx.message.nack('again', { delay: 100 });
      },
      't:dh': r.onDead,
    });
    await runtime.start();
    await runtime.publish('t:q', 'm');
    await until(() => r.dead.length === 1, 'dead-lettered', 2 * (100 + LATE_MS));
    expect(r.calls.map((c) => c.attempts)).toEqual([undefined, 1, 2]);
    for (const gap of gaps(r.calls)) expect(gap).toBeGreaterThanOrEqual(100);
    expect(r.dead[0]!.headers).toMatchObject({ attempts: 3, x_dead_letter_reason: 'again' });
    expect(r.dead[0]!.at - r.calls[2]!.at).toBeLessThan(100 + LATE_MS);
  });

  it('an invalid nack delay throws InvalidMessageError into the handler and settles nothing', async () => {
    const errors: unknown[] = [];
    runtime = runtimeOf(yaml({}), {
      't:h': (_b, ctx) => {
        for (const delay of ['soon', -1, 2 ** 31, null]) {
          try {
            ctx.message.nack({ delay: delay as never });
          } catch (e) {
            errors.push(e);
          }
        }
        // Still unsettled: returning acks it.
      },
      't:dh': () => {},
    });
    await runtime.start();
    await runtime.publish('t:q', 'm');
    await until(() => runtime!.consumerStats('t:c').acked === 1, 'ack');
    expect(errors).toHaveLength(4);
    for (const e of errors) expect(e).toBeInstanceOf(InvalidMessageError);
    expect(String((errors[0] as Error).message)).toMatch(/nack of message .*: delay must be a number of milliseconds/);
    expect(runtime.consumerStats('t:c').nacked).toBe(0);
  });

  it('an invalid retryAfter is logged and the queue policy applies', async () => {
    const r = recorder();
    const logger = recordingLogger();
    runtime = runtimeOf(
      yaml({ retry: '{ initial_delay: 150ms, jitter: 0 }' }),
      {
        't:h': (body, ctx) => {
          r.onCall(body, ctx);
          if (ctx.message.headers['attempts'] === undefined) throw Object.assign(new Error('x'), { retryAfter: 'later' });
        },
        't:dh': () => {},
      },
      logger,
    );
    await runtime.start();
    await runtime.publish('t:q', 'm');
    await until(() => r.calls.length === 2, 'second attempt', 150 + LATE_MS);
    expect(r.calls[1]!.at - r.calls[0]!.at).toBeGreaterThanOrEqual(150);
    expect(logger.records.some((l) => l.message === 'retryAfter of a handler error ignored' && String(l.fields?.['problem']).includes('"later"'))).toBe(true);
  });

  it('a single object argument with other keys is a reason, not options', async () => {
    const r = recorder();
    runtime = runtimeOf(yaml({ maxAttempts: 1 }), {
      't:h': (_b, ctx) => void ctx.message.nack({ code: 42, delay: 5 }),
      't:dh': r.onDead,
    });
    await runtime.start();
    await runtime.publish('t:q', 'm');
    await until(() => r.dead.length === 1, 'dead-lettered');
    expect(r.dead[0]!.headers['x_dead_letter_reason']).toBe('{"code":42,"delay":5}');
  });
});
