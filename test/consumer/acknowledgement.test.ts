import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/create-runtime.ts';
import { AlreadySettledError } from '../../src/errors/message-errors.ts';
import type { MessageHandle } from '../../src/functions/handler.ts';
import { consumerYaml, recordingLogger, runtimeOf, until } from '../support/runtime-kit.ts';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

describe('handler outcome', () => {
  it('a returning handler acks exactly once and the message leaves the queue', async () => {
    const seen: unknown[] = [];
    runtime = runtimeOf(consumerYaml(), { 't:h': (body) => void seen.push(body) });
    await runtime.start();
    await runtime.publish('t:q', { n: 1 });
    await until(() => runtime!.consumerStats('t:c').acked === 1, 'ack');
    expect(seen).toEqual([{ n: 1 }]);
    expect(runtime.consumerStats('t:c')).toMatchObject({ acked: 1, nacked: 0 });
    expect(await runtime.info('t:q')).toMatchObject({ message_count: 0, ready: 0, in_flight: 0 });
  });

  it('returning false, null or undefined still acks (as Wippy does)', async () => {
    const results = [false, null, undefined, 0, ''];
    let i = 0;
    runtime = runtimeOf(consumerYaml(), { 't:h': () => results[i++] });
    await runtime.start();
    await runtime.publishBatch('t:q', [1, 2, 3, 4, 5]);
    await until(() => runtime!.consumerStats('t:c').acked === 5, '5 acks');
    expect(runtime.consumerStats('t:c').nacked).toBe(0);
  });

  it('a throwing handler nacks exactly once: requeued at the tail with attempts + 1', async () => {
    const order: unknown[] = [];
    const attempts: unknown[] = [];
    runtime = runtimeOf(consumerYaml({ autoStart: false }), {
      't:h': (body, ctx) => {
        order.push(body);
        attempts.push(ctx.message.headers['attempts']);
        if (body === 1 && ctx.message.headers['attempts'] === undefined) throw new Error('first try fails');
      },
    });
    await runtime.start();
    await runtime.publishBatch('t:q', [1, 2, 3]);
    await runtime.startEntry('t:c');
    await until(() => runtime!.consumerStats('t:c').acked === 3, '3 acks');
    expect(order).toEqual([1, 2, 3, 1]);
    expect(attempts).toEqual([undefined, undefined, undefined, 1]);
    expect(runtime.consumerStats('t:c')).toMatchObject({ acked: 3, nacked: 1 });
  });

  it('a rejected promise, a non-Error throw and a sync throw all nack; the consumer keeps running', async () => {
    const failures: ((b: number) => unknown)[] = [
      async () => Promise.reject(new Error('rejected')),
      () => {
        throw 'a string';
      },
      () => {
        throw new TypeError('sync');
      },
    ];
    runtime = runtimeOf(consumerYaml({ deadLetter: { maxAttempts: 1 } }), { 't:h': (b: number) => (b < 3 ? failures[b]!(b) : 'ok') });
    await runtime.start();
    await runtime.publishBatch('t:q', [0, 1, 2, 3]);
    await until(() => runtime!.consumerStats('t:c').acked === 1, 'the good message');
    expect(runtime.consumerStats('t:c')).toMatchObject({ nacked: 3, deadLettered: 3 });
    expect(runtime.system.get('t:c')!.getSnapshot().value).toBe('running');
  });

  it('acks + nacks equal the messages handled', async () => {
    runtime = runtimeOf(consumerYaml({ concurrency: 4, deadLetter: { maxAttempts: 2 } }), { 't:h': (b: number) => { if (b % 3 === 0) throw new Error('x'); } });
    await runtime.start();
    await runtime.publishBatch('t:q', Array.from({ length: 300 }, (_, i) => i + 1));
    await until(async () => (await runtime!.info('t:q')).message_count === 0, 'queue drained');
    const s = runtime.consumerStats('t:c');
    expect(s.acked).toBe(200);
    expect(s.nacked).toBe(200); // 100 failing messages x 2 attempts
    expect(s.acked + s.nacked).toBe(s.delivered);
    expect(s.deadLettered).toBe(100);
  });
});

describe('early settle through ctx.message', () => {
  it('an explicit ack suppresses the automatic settle, even if the handler then throws', async () => {
    runtime = runtimeOf(consumerYaml(), {
      't:h': (_b, ctx) => {
        ctx.message.ack();
        throw new Error('after ack');
      },
    });
    await runtime.start();
    await runtime.publish('t:q', 'x');
    await until(() => runtime!.consumerStats('t:c').acked === 1, 'ack');
    expect(runtime.consumerStats('t:c')).toMatchObject({ acked: 1, nacked: 0, lateErrors: 1 });
  });

  it('an explicit nack suppresses the automatic ack', async () => {
    runtime = runtimeOf(consumerYaml({ deadLetter: { maxAttempts: 1 } }), { 't:h': (_b, ctx) => ctx.message.nack('not today') });
    await runtime.start();
    await runtime.publish('t:q', 'x');
    await until(() => runtime!.consumerStats('t:c').deadLettered === 1, 'dead-letter');
    expect(runtime.consumerStats('t:c')).toMatchObject({ acked: 0, nacked: 1 });
  });

  it('a second settle throws "already settled"; a settle after return is ignored and logged, never thrown', async () => {
    let second: unknown;
    let kept: MessageHandle | undefined;
    runtime = runtimeOf(consumerYaml(), {
      't:h': (_b, ctx) => {
        ctx.message.ack();
        try {
          ctx.message.nack();
        } catch (e) {
          second = e;
        }
        kept = ctx.message;
      },
    });
    await runtime.start();
    await runtime.publish('t:q', 'x');
    await until(() => kept !== undefined && runtime!.consumerStats('t:c').acked === 1, 'handler');
    expect(second).toBeInstanceOf(AlreadySettledError);
    expect((second as Error).message).toMatch(/already settled/);
    await until(() => runtime!.consumerStats('t:c').running === 0, 'handler returned');
    expect(() => kept!.ack()).not.toThrow();
    expect(() => kept!.nack()).not.toThrow();
    expect(runtime.consumerStats('t:c')).toMatchObject({ acked: 1, nacked: 0, lateSettles: 2 });
  });

  it('the message handle exposes id and headers', async () => {
    let seen: { id: string; corr: unknown; headers: Record<string, unknown> } | undefined;
    runtime = runtimeOf(consumerYaml(), { 't:h': (_b, ctx) => void (seen = { id: ctx.message.id, corr: ctx.message.header('correlation_id'), headers: { ...ctx.message.headers } }) });
    await runtime.start();
    await runtime.publish('t:q', 'x', { id: 'my-id', headers: { correlation_id: 'c1' } });
    await until(() => seen !== undefined, 'handler');
    expect(seen!.id).toBe('my-id');
    expect(seen!.corr).toBe('c1');
    expect(seen!.headers['timestamp']).toEqual(expect.any(Number));
  });
});

describe('dead-lettering (Wippy accepts dead_letter but never enforces it; actorq does)', () => {
  it('moves a poison message to the dead-letter queue after max_attempts with its record', async () => {
    const logger = recordingLogger();
    const dead: { id: string; headers: Record<string, unknown>; body: unknown }[] = [];
    runtime = runtimeOf(
      consumerYaml({ deadLetter: { maxAttempts: 3 }, deadLetterConsumer: true }),
      {
        't:h': () => {
          throw new Error('poison');
        },
        't:dh': (body, ctx) => void dead.push({ id: ctx.message.id, headers: { ...ctx.message.headers }, body }),
      },
      logger,
    );
    await runtime.start();
    const before = Math.floor(Date.now() / 1000);
    await runtime.publish('t:q', { bad: true }, { id: 'p1', headers: { correlation_id: 'c9' } });
    await until(() => dead.length === 1, 'dead letter consumed');
    expect(runtime.consumerStats('t:c')).toMatchObject({ nacked: 3, deadLettered: 1, acked: 0 });
    expect((await runtime.info('t:q')).message_count).toBe(0);
    expect(dead[0]!.id).toBe('p1');
    expect(dead[0]!.body).toEqual({ bad: true });
    expect(dead[0]!.headers).toMatchObject({ correlation_id: 'c9', attempts: 3, x_original_queue: 't:q', x_dead_letter_reason: 'poison' });
    expect(dead[0]!.headers['x_dead_letter_time']).toBeGreaterThanOrEqual(before);
    expect(logger.records.some((r) => r.level === 'error' && /dead-lettered/.test(r.message) && r.fields?.['message_id'] === 'p1')).toBe(true);
  });
});
