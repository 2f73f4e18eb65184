import { afterEach, describe, expect, it } from 'vitest';
import { assign, fromPromise, setup } from 'xstate';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { actorHandler, handlersOf, type FunctionValue } from '../../src/functions/actor-handler.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import type { HandlerContext } from '../../src/functions/handler.ts';
import { consumerYaml, gate, recordingLogger, until } from '../support/runtime-kit.ts';

/**
 * Handlers given as XState actor logic: one actor per message, the body as
 * its input, its outcome settling the message; the consumer's concurrency,
 * timeout and stop apply as to any handler.
 */
let runtime: Runtime | undefined;
const opened: (() => void)[] = [];
afterEach(async () => {
  for (const open of opened.splice(0)) open();
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

function run(handler: FunctionValue, spec: Parameters<typeof consumerYaml>[0] = {}, logger = recordingLogger()): Runtime {
  runtime = createRuntime({ registry: parseConfigText(consumerYaml(spec), '<test>', { extraFunctionIds: ['t:h'] }), functions: { 't:h': handler }, logger });
  return runtime;
}

/** A promise logic that waits until the test opens it, counting how many run and how many were stopped. */
function heldWork() {
  const state = { running: 0, maxRunning: 0, aborted: 0, finished: 0 };
  const logic = fromPromise<string, unknown>(
    ({ signal }) =>
      new Promise((resolve) => {
        state.running++;
        state.maxRunning = Math.max(state.maxRunning, state.running);
        let done = false;
        signal.addEventListener('abort', () => {
          if (done) return;
          done = true;
          state.running--;
          state.aborted++;
        });
        opened.push(() => {
          if (done) return;
          done = true;
          state.running--;
          state.finished++;
          resolve('worked');
        });
      }),
  );
  return { state, logic };
}

/** A handler machine: `check` rejects bodies without `ok`; otherwise it waits in `working` for `work` and ends with an output. */
function orderMachine(work: ReturnType<typeof heldWork>['logic'] | undefined) {
  return setup({
    types: { input: {} as { ok?: boolean; n?: number }, context: {} as { ok: boolean; n: number; result?: string }, output: {} as { n: number; result?: string } },
    actors: {
      work: work ?? fromPromise<string, unknown>(async () => 'quick'),
      check: fromPromise<void, { ok?: boolean }>(async ({ input }) => {
        if (!input.ok) throw new Error('order refused');
      }),
    },
  }).createMachine({
    context: ({ input }) => ({ ok: input.ok === true, n: input.n ?? 0 }),
    initial: 'checking',
    states: {
      // No onError: a refused order fails the machine, which nacks the message.
      checking: { invoke: { src: 'check', input: ({ context }) => ({ ok: context.ok }), onDone: 'working' } },
      working: { invoke: { src: 'work', onDone: { target: 'done', actions: assign({ result: ({ event }) => event.output }) } } },
      done: { type: 'final' },
    },
    output: ({ context }) => ({ n: context.n, ...(context.result ? { result: context.result } : {}) }),
  });
}

describe('handlers as actor logic', () => {
  it('fromPromise: resolve acks, reject nacks (dead-lettered at max_attempts 1); the body is its input', async () => {
    const inputs: unknown[] = [];
    const rt = run(
      fromPromise<void, { fail?: boolean }>(async ({ input }) => {
        inputs.push(input);
        if (input.fail) throw new Error('refused');
      }),
      { deadLetter: { maxAttempts: 1 }, deadLetterConsumer: false },
    );
    await rt.start();
    await rt.publish('t:q', { fail: false, n: 1 });
    await rt.publish('t:q', { fail: true, n: 2 });
    await until(() => rt.consumerStats('t:c').acked + rt.consumerStats('t:c').nacked === 2, 'two settled');
    expect(rt.consumerStats('t:c')).toMatchObject({ acked: 1, nacked: 1, deadLettered: 1 });
    expect(inputs).toEqual([{ fail: false, n: 1 }, { fail: true, n: 2 }]);
    expect((await rt.info('t:dlq')).ready).toBe(1);
  });

  it('a machine: a final state acks (its output is the result); an unhandled error nacks', async () => {
    const machine = orderMachine(undefined);
    const rt = run(
      actorHandler(machine, { input: (body: { ok?: boolean; n?: number }) => body }),
      { deadLetter: { maxAttempts: 1 } },
    );
    await rt.start();
    await rt.publish('t:q', { ok: true, n: 1 });
    await rt.publish('t:q', { ok: false, n: 2 });
    await until(() => rt.consumerStats('t:c').acked + rt.consumerStats('t:c').nacked === 2, 'two settled');
    expect(rt.consumerStats('t:c')).toMatchObject({ acked: 1, nacked: 1, deadLettered: 1 });
  });

  it('actorHandler passes what its input function makes of the body and context', async () => {
    const seen: unknown[] = [];
    const rt = run(
      actorHandler(
        fromPromise<void, { order: unknown; id: string; consumer: string }>(async ({ input }) => void seen.push(input)),
        { input: (body, ctx) => ({ order: body, id: ctx.message.id, consumer: ctx.consumerId }) },
      ),
    );
    await rt.start();
    await rt.publish('t:q', { n: 7 }, { id: 'msg-7' });
    await until(() => seen.length === 1, 'handled');
    expect(seen).toEqual([{ order: { n: 7 }, id: 'msg-7', consumer: 't:c' }]);
  });

  it('concurrency still bounds how many handler actors run at once', async () => {
    const work = heldWork();
    const rt = run(orderMachine(work.logic), { concurrency: 2, prefetch: 10 });
    await rt.start();
    for (let n = 0; n < 5; n++) await rt.publish('t:q', { ok: true, n });
    await until(() => work.state.running === 2, 'two running');
    expect(rt.consumerStats('t:c').buffered).toBe(3);
    while (work.state.finished < 5) {
      for (const open of opened.splice(0)) open();
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => rt.consumerStats('t:c').acked === 5, 'all acked');
    expect(work.state.maxRunning).toBe(2);
  });

  it("past the consumer's timeout the message is nacked and the handler actor is stopped", async () => {
    const work = heldWork();
    const logger = recordingLogger();
    const rt = run(orderMachine(work.logic), { timeout: '80ms', deadLetter: { maxAttempts: 1 } }, logger);
    await rt.start();
    await rt.publish('t:q', { ok: true, n: 1 });
    await until(() => rt.consumerStats('t:c').deadLettered === 1, 'nacked at the timeout');
    // Stopping the machine stopped the work it had invoked (its signal fired).
    await until(() => work.state.aborted === 1 && work.state.running === 0, 'work stopped');
    await until(() => rt.consumerStats('t:c').detached === 0, 'no detached handler left');
    expect(work.state.finished).toBe(0);
  });

  it('stop while a handler machine runs: finishing within stop_timeout settles it (drained)', async () => {
    const work = heldWork();
    const rt = run(orderMachine(work.logic), { stopTimeout: '5s' });
    await rt.start();
    await rt.publish('t:q', { ok: true, n: 1 });
    await until(() => work.state.running === 1, 'running');
    const stopping = rt.stop();
    await new Promise((r) => setTimeout(r, 30));
    for (const open of opened.splice(0)) open();
    await stopping;
    expect(rt.consumerStats('t:c')).toMatchObject({ acked: 1, released: 0 });
    expect((await rt.info('t:q')).message_count).toBe(0);
  });

  it('stop while a handler machine runs past stop_timeout: its message goes back to the queue and the machine is stopped', async () => {
    const work = heldWork();
    const rt = run(orderMachine(work.logic), { stopTimeout: '100ms' });
    await rt.start();
    await rt.publish('t:q', { ok: true, n: 1 });
    await until(() => work.state.running === 1, 'running');
    await expect(rt.stop()).rejects.toMatchObject({ code: 'STOP_TIMEOUT' });
    expect(rt.consumerStats('t:c')).toMatchObject({ acked: 0, nacked: 0, released: 1 });
    // Nothing of the consumer runs on: the machine and the work it invoked were stopped.
    expect(work.state).toMatchObject({ running: 0, aborted: 1, finished: 0 });
    expect((await rt.info('t:q')).ready).toBe(1);
    expect(rt.consumerStats('t:c').detached).toBe(0);
  });

  it('a functions value that is neither a function nor actor logic fails the load naming it', async () => {
    const rt = run({ nope: true } as unknown as FunctionValue);
    const error = await rt.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { entryId: 't:h', field: 'functions', message: 'expected a function or XState actor logic, got an object without transition/getInitialSnapshot' },
    ]);
  });

  it("a machine's output is the handler's result; its input is the body", async () => {
    const set = handlersOf({ m: orderMachine(undefined) });
    const ctx = { signal: new AbortController().signal, consumerId: 't:c' } as unknown as HandlerContext;
    await expect(Promise.resolve(set.handlers['m']!({ ok: true, n: 4 }, ctx))).resolves.toEqual({ n: 4, result: 'quick' });
    await expect(Promise.resolve(set.handlers['m']!({ ok: false, n: 5 }, ctx))).rejects.toThrow('order refused');
    expect(set.live).toBe(0);
  });

  it('plain functions pass through as they are: no wrapper on their path', () => {
    const plain = async () => {};
    const set = handlersOf({ a: plain, b: fromPromise(async () => {}) });
    expect(set.handlers['a']).toBe(plain);
    expect(set.handlers['b']).not.toBe(plain);
    expect(typeof set.handlers['b']).toBe('function');
  });
});
