import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Handler } from '../../src/functions/handler.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { until } from '../model/runtime-targets.ts';

/**
 * Property test over random mixes of immediate and delayed publishes
 * (option or header, 0-50 ms) and handlers that fail a few times before
 * succeeding, each failure asking for a retry in one of four ways (throw,
 * nack, nack with a delay, an error with `retryAfter`), under a random
 * queue `retry` policy, with consumer and runtime stops in between, on the
 * memory driver. Invariants:
 * - conservation: `acked + queued + delayed + dead-lettered = published`
 *   after every stop and at the end (after a final stop too);
 * - exact outcome: a message failing fewer than `max_attempts` times is
 *   acked once, the others are dead-lettered once;
 * - never early: no message is handled before its publish delay, and no
 *   retry comes sooner than the delay its failure asked for (the handler's,
 *   or the policy's for that attempt; jitter is 0).
 */

const MAX_ATTEMPTS = 3;
type Mode = 'throw' | 'nack' | 'nack-delay' | 'retry-after';
type Spec = { failures: number; mode: Mode; ask: number };
type Op =
  | { op: 'publish'; specs: Spec[]; delay: number; via: 'option' | 'header' }
  | { op: 'stop-consumer' }
  | { op: 'start-consumer' }
  | { op: 'restart-runtime' }
  | { op: 'wait'; ms: number };

const spec: fc.Arbitrary<Spec> = fc.record({
  failures: fc.integer({ min: 0, max: 4 }),
  mode: fc.constantFrom<Mode>('throw', 'nack', 'nack-delay', 'retry-after'),
  ask: fc.integer({ min: 0, max: 50 }),
});
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('publish' as const),
      specs: fc.array(spec, { minLength: 1, maxLength: 6 }),
      delay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 })),
      via: fc.constantFrom<'option' | 'header'>('option', 'header'),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'stop-consumer' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'start-consumer' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'restart-runtime' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 40 }) }) },
);
const policy = fc.record({
  initial: fc.integer({ min: 0, max: 20 }),
  factor: fc.constantFrom(1, 1.5, 2, 3),
  max: fc.integer({ min: 20, max: 50 }),
  concurrency: fc.integer({ min: 1, max: 4 }),
  prefetch: fc.integer({ min: 1, max: 5 }),
});

function yaml(p: { initial: number; factor: number; max: number; concurrency: number; prefetch: number }): string {
  return `
namespace: p
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - name: q
    kind: queue.queue
    driver: p:d
    retry: { initial_delay: ${p.initial}ms, backoff_factor: ${p.factor}, max_delay: ${p.max}ms, jitter: 0 }
    dead_letter: { queue: p:dlq, max_attempts: ${MAX_ATTEMPTS} }
  - { name: dlq, kind: queue.queue, driver: p:d }
  - name: c
    kind: queue.consumer
    queue: p:q
    func: p:h
    concurrency: ${p.concurrency}
    prefetch: ${p.prefetch}
    lifecycle: { auto_start: true, stop_timeout: 5s }
`;
}

/** What one message has been through, kept by the test. */
interface Track {
  readonly spec: Spec;
  /** Earliest moment its first delivery may happen. */
  readonly notBefore: number;
  /** Earliest moment its next delivery may happen, after a failure. */
  nextNotBefore: number;
  acks: number;
}

describe('properties: delays and retries on memory', () => {
  it('conservation with delayed messages, exact outcomes, never early', { timeout: 180_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(policy, fc.array(op, { minLength: 1, maxLength: 10 }), async (p, ops) => {
        const tracks = new Map<number, Track>();
        const early: string[] = [];
        const policyDelay = (attempt: number) => Math.min(p.max, p.initial * p.factor ** (attempt - 1));
        const handler: Handler = async (body: { id: number }, ctx) => {
          const now = performance.now();
          const t = tracks.get(body.id)!;
          const attempts = (ctx.message.headers['attempts'] as number | undefined) ?? 0;
          if (now < (attempts === 0 ? t.notBefore : t.nextNotBefore)) early.push(`message ${body.id} attempt ${attempts + 1} came early`);
          await Promise.resolve();
          if (attempts >= t.spec.failures) {
            t.acks++;
            return;
          }
          // This failure's retry may come no sooner than what it asks for (unless it dead-letters).
          const { mode, ask } = t.spec;
          const wait = mode === 'nack-delay' || mode === 'retry-after' ? ask : policyDelay(attempts + 1);
          t.nextNotBefore = performance.now() + wait;
          if (mode === 'throw') throw new Error('fails (property test)');
          if (mode === 'nack') return ctx.message.nack('fails (property test)');
          if (mode === 'nack-delay') return ctx.message.nack({ delay: ask });
          throw Object.assign(new Error('fails (property test)'), { retryAfter: `${ask}ms` });
        };
        const runtime: Runtime = createRuntime({
          registry: parseConfigText(yaml(p), '<property>', { extraFunctionIds: ['p:h'] }),
          functions: { 'p:h': handler },
          logger: silentLogger,
        });
        let published = 0;
        const conserved = async () => {
          const s = runtime.consumerStats('p:c');
          const q = await runtime.info('p:q');
          const d = await runtime.info('p:dlq');
          expect(s.running).toBe(0);
          expect(q.in_flight).toBe(0);
          expect(s.acked + q.ready + q.delayed! + d.message_count + d.delayed!).toBe(published);
        };
        try {
          await runtime.start();
          for (const step of ops) {
            if (step.op === 'publish') {
              const ids = step.specs.map(() => published++);
              const notBefore = performance.now() + step.delay;
              for (const [i, id] of ids.entries()) tracks.set(id, { spec: step.specs[i]!, notBefore, nextNotBefore: 0, acks: 0 });
              const bodies = ids.map((id) => ({ id }));
              const options = step.delay === 0 ? undefined : step.via === 'option' ? { delay: step.delay } : { headers: { delay: `${step.delay}ms` } };
              await runtime.publishBatch('p:q', bodies, options);
            } else if (step.op === 'stop-consumer') {
              await runtime.stopEntry('p:c');
              await conserved();
            } else if (step.op === 'start-consumer') {
              await runtime.startEntry('p:c');
            } else if (step.op === 'restart-runtime') {
              await runtime.stop();
              await conserved();
              await runtime.start();
            } else {
              await new Promise((r) => setTimeout(r, step.ms));
            }
          }
          await runtime.startEntry('p:c');
          const failing = [...tracks.values()].filter((t) => t.spec.failures >= MAX_ATTEMPTS).length;
          await until(async () => {
            const q = await runtime.info('p:q');
            const d = await runtime.info('p:dlq');
            expect(q.message_count + q.delayed!).toBe(0);
            expect(d.message_count).toBe(failing);
            expect(runtime.consumerStats('p:c').running).toBe(0);
          }, 10_000);
          await conserved();
          for (const [id, t] of tracks) expect(t.acks, `message ${id} (fails ${t.spec.failures}x) acked`).toBe(t.spec.failures >= MAX_ATTEMPTS ? 0 : 1);
          expect(early).toEqual([]);
          await runtime.stop();
          await conserved();
        } finally {
          await runtime.stop().catch(() => {});
        }
      }),
      { numRuns: 50, endOnFailure: true },
    );
  });
});
