import { afterEach, describe, expect, it } from 'vitest';
import { assign, createActor, enqueueActions, setup, type AnyActorRef } from 'xstate';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { forwardTo, type ForwardedMessage, type ForwardToOptions } from '../../src/embed/forward-to.ts';
import { consumerYaml, until } from '../support/runtime-kit.ts';
import { silentLogger } from '../../src/util/logger.ts';

/**
 * forwardTo: each message goes to a long-lived app actor as an event; the
 * actor's reply settles it.
 */
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

function run(target: AnyActorRef, options: ForwardToOptions = {}, spec: Parameters<typeof consumerYaml>[0] = {}): Runtime {
  runtime = createRuntime({
    registry: parseConfigText(consumerYaml({ deadLetter: { maxAttempts: 1 }, ...spec }), '<test>', { extraFunctionIds: ['t:h'] }),
    functions: { 't:h': forwardTo(target, options) },
    logger: silentLogger,
  });
  return runtime;
}

/**
 * An orders actor: acks bodies with `ok`, nacks the rest, holds those with
 * `hold` (replying only on `release`), and remembers what it saw.
 */
const ordersMachine = setup({
  types: {
    context: {} as { seen: ForwardedMessage[]; held: ForwardedMessage[] },
    events: {} as ForwardedMessage | { type: 'release' } | { type: 'crash' },
  },
  actions: {
    reply: enqueueActions(({ enqueue }, params: { to: AnyActorRef; requestId: string; ok: boolean }) => {
      enqueue.sendTo(params.to, params.ok ? { type: 'actorq.ack', requestId: params.requestId } : { type: 'actorq.nack', requestId: params.requestId, reason: 'refused by orders' });
    }),
  },
}).createMachine({
  context: { seen: [], held: [] },
  on: {
    'actorq.message': {
      actions: enqueueActions(({ enqueue, event, context }) => {
        const m = event as ForwardedMessage<{ ok?: boolean; hold?: boolean }>;
        enqueue.assign({ seen: [...context.seen, m] });
        if (m.body.hold) enqueue.assign({ held: [...context.held, m] });
        else enqueue({ type: 'reply', params: { to: m.replyTo, requestId: m.requestId, ok: m.body.ok === true } });
      }),
    },
    release: {
      actions: [
        enqueueActions(({ enqueue, context }) => {
          for (const m of context.held) enqueue({ type: 'reply', params: { to: m.replyTo, requestId: m.requestId, ok: true } });
        }),
        assign({ held: [] }),
      ],
    },
    crash: {
      actions: () => {
        throw new Error('orders crashed');
      },
    },
  },
});

describe('forwardTo', () => {
  it("acks on the actor's ack, nacks on its nack; the event carries body, message ID and headers", async () => {
    const orders = createActor(ordersMachine).start();
    const rt = run(orders);
    await rt.start();
    await rt.publish('t:q', { ok: true, n: 1 }, { id: 'm-1', headers: { tenant: 'a' } });
    await rt.publish('t:q', { ok: false, n: 2 });
    await until(() => rt.consumerStats('t:c').acked + rt.consumerStats('t:c').nacked === 2, 'two settled');
    expect(rt.consumerStats('t:c')).toMatchObject({ acked: 1, nacked: 1, deadLettered: 1 });
    const first = orders.getSnapshot().context.seen[0]!;
    expect(first).toMatchObject({ type: 'actorq.message', body: { ok: true, n: 1 }, id: 'm-1', consumerId: 't:c', headers: expect.objectContaining({ tenant: 'a' }) });
    orders.stop();
  });

  it('waits for a late reply; no reply within its timeout nacks the message', async () => {
    const orders = createActor(ordersMachine).start();
    const rt = run(orders, { timeout: 100 });
    await rt.start();
    await rt.publish('t:q', { hold: true, n: 1 });
    await until(() => rt.consumerStats('t:c').nacked === 1, 'nacked at the forward timeout');
    expect(rt.consumerStats('t:c')).toMatchObject({ acked: 0, deadLettered: 1 });
    // A reply after the message was settled changes nothing.
    orders.send({ type: 'release' });
    await new Promise((r) => setTimeout(r, 20));
    expect(rt.consumerStats('t:c')).toMatchObject({ acked: 0, nacked: 1 });
    orders.stop();
  });

  it('a reply within its timeout acks; the custom event type is used', async () => {
    const seen: string[] = [];
    const orders = createActor(
      setup({}).createMachine({
        on: {
          'orders.placed': {
            actions: ({ event }) => {
              const m = event as unknown as ForwardedMessage;
              seen.push(m.type);
              setTimeout(() => m.replyTo.send({ type: 'actorq.ack', requestId: m.requestId }), 30);
            },
          },
        },
      }),
    ).start();
    const rt = run(orders, { type: 'orders.placed', timeout: 5000 });
    await rt.start();
    await rt.publish('t:q', { n: 1 });
    await until(() => rt.consumerStats('t:c').acked === 1, 'acked');
    expect(seen).toEqual(['orders.placed']);
    orders.stop();
  });

  it('the actor stopping or failing before it replied nacks at once, not at the timeout', async () => {
    const orders = createActor(ordersMachine).start();
    orders.subscribe({ error: () => {} });
    const rt = run(orders, { timeout: 60_000 });
    await rt.start();
    await rt.publish('t:q', { hold: true, n: 1 });
    await until(() => orders.getSnapshot().context.held.length === 1, 'held');
    orders.send({ type: 'crash' });
    await until(() => rt.consumerStats('t:c').nacked === 1, 'nacked when the actor failed');
    // An actor that is not running gets nothing: the message is nacked straight away.
    await rt.publish('t:q', { ok: true, n: 2 });
    await until(() => rt.consumerStats('t:c').nacked === 2, 'nacked, not forwarded');
    expect(orders.getSnapshot().context.seen).toHaveLength(1);
  });

  it("the consumer's timeout ends the wait like any handler's", async () => {
    const orders = createActor(ordersMachine).start();
    const rt = run(orders, { timeout: 60_000 }, { timeout: '80ms' });
    await rt.start();
    await rt.publish('t:q', { hold: true, n: 1 });
    await until(() => rt.consumerStats('t:c').deadLettered === 1, 'nacked at the consumer timeout');
    await until(() => rt.consumerStats('t:c').detached === 0, 'the handler let go of its worker');
    orders.stop();
  });

  it('a stop waits for the reply within stop_timeout (drained)', async () => {
    const orders = createActor(ordersMachine).start();
    const rt = run(orders, { timeout: 60_000 }, { stopTimeout: '5s' });
    await rt.start();
    await rt.publish('t:q', { hold: true, n: 1 });
    await until(() => orders.getSnapshot().context.held.length === 1, 'held');
    const stopping = rt.stop();
    setTimeout(() => orders.send({ type: 'release' }), 30);
    await stopping;
    expect(rt.consumerStats('t:c')).toMatchObject({ acked: 1, released: 0 });
    orders.stop();
  });
});
