import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/create-runtime.ts';
import type { HandlerContext } from '../../src/functions/handler.ts';
import { consumerYaml, recordingLogger, runtimeOf, until } from '../support/runtime-kit.ts';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

// The context keeps its logger and AbortSignal outside the per-message
// object and reaches its consumer through the worker: these check that a
// handler still sees each of them as its own.
describe('handler context', () => {
  it('gives each message its own logger bound to the consumer and the message ID', async () => {
    const logger = recordingLogger();
    const seen: { id: string; body: unknown }[] = [];
    runtime = runtimeOf(
      consumerYaml({ concurrency: 2 }),
      {
        't:h': (body, ctx) => {
          seen.push({ id: ctx.message.id, body });
          // Each read makes a small logger of its own (kept nowhere): all are bound to this message.
          ctx.logger.info('handling', { body });
        },
      },
      logger,
    );
    await runtime.start();
    await runtime.publishBatch('t:q', [1, 2, 3]);
    await until(() => runtime!.consumerStats('t:c').acked === 3, '3 acks');
    const lines = logger.records.filter((r) => r.message === 'handling');
    expect(lines.map((r) => r.fields)).toEqual(seen.map(({ id, body }) => ({ consumer: 't:c', message_id: id, body })));
    expect(new Set(seen.map((s) => s.id)).size).toBe(3);
  });

  it('gives each message its own signal, the same object on every read, fired only for its own message', async () => {
    const contexts: HandlerContext[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    runtime = runtimeOf(consumerYaml({ concurrency: 2 }), {
      't:h': async (_body, ctx) => {
        contexts.push(ctx);
        expect(ctx.signal).toBe(ctx.signal);
        expect(ctx.message).toBe(ctx);
        expect(ctx.consumerId).toBe('t:c');
        await gate;
      },
    });
    await runtime.start();
    await runtime.publishBatch('t:q', [1, 2]);
    await until(() => contexts.length === 2, 'two handlers running');
    expect(contexts[0]!.signal).not.toBe(contexts[1]!.signal);
    expect(contexts.map((c) => c.signal.aborted)).toEqual([false, false]);
    const stopping = runtime.stop();
    await until(() => contexts.every((c) => c.signal.aborted), 'both signals fired by the stop');
    release();
    await stopping;
    runtime = undefined;
  });
});
