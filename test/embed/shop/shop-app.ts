import { assign, fromPromise, sendTo, setup } from 'xstate';
import { fromActorq, type ActorqOutputEvent } from '../../../src/index.ts';

interface Order {
  orderId: string;
  amount: number;
}

/** The handler of `shop:charge`: one of these runs per message, the body as its input. */
export const chargeMachine = setup({
  types: { input: {} as Order, context: {} as Order & { receipt?: string }, output: {} as { orderId: string; receipt: string } },
  actors: {
    // Stands in for a payment provider.
    charge: fromPromise<string, Order>(async ({ input }) => {
      if (input.amount <= 0) throw new Error(`order ${input.orderId}: nothing to charge`);
      return `receipt-${input.orderId}`;
    }),
  },
}).createMachine({
  context: ({ input }) => input,
  initial: 'charging',
  states: {
    // No onError: a failed charge fails the machine, which nacks the message.
    charging: {
      invoke: {
        src: 'charge',
        input: ({ context }) => context,
        onDone: { target: 'charged', actions: assign({ receipt: ({ event }) => event.output }) },
      },
    },
    // A final state acks the message; the output is the handler's result.
    charged: { type: 'final' },
  },
  output: ({ context }) => ({ orderId: context.orderId, receipt: context.receipt! }),
});

type ShopEvent = ActorqOutputEvent | ({ type: 'order.placed' } & Order) | { type: 'close' };

/** The app: actorq runs while the shop is open; the shop reacts to its payments consumer failing. */
export const shopMachine = setup({
  types: { context: {} as { failures: string[] }, events: {} as ShopEvent },
  actors: {
    queues: fromActorq({ files: ['config/'], functions: { 'shop:charge': chargeMachine } }),
  },
}).createMachine({
  id: 'shop',
  context: { failures: [] },
  initial: 'open',
  states: {
    open: {
      invoke: { id: 'queues', src: 'queues' },
      initial: 'serving',
      states: {
        serving: {
          on: {
            // The payments consumer failed (it restarts by itself): show it until it runs again.
            'actorq.failed': {
              guard: ({ event }) => event.id === 'shop:payments_consumer',
              target: 'degraded',
              actions: assign({ failures: ({ context, event }) => [...context.failures, event.error] }),
            },
          },
        },
        degraded: {
          on: {
            'actorq.entry.changed': {
              guard: ({ event }) => event.id === 'shop:payments_consumer' && event.to === 'running',
              target: 'serving',
            },
          },
        },
        // Closing waits for actorq to drain (handlers finish or, at stop_timeout, go back to the queue).
        closing: {
          entry: sendTo('queues', { type: 'actorq.stop' }),
          on: { 'actorq.stopped': '#shop.closed' },
        },
      },
      on: {
        // Publish from an action: the order goes to the payments queue.
        'order.placed': {
          actions: sendTo('queues', ({ event }) => ({
            type: 'actorq.publish' as const,
            queue: 'shop:payments',
            body: { orderId: event.orderId, amount: event.amount },
          })),
        },
        // A publish that failed comes back as an event; the shop keeps running.
        'actorq.publish.failed': { actions: assign({ failures: ({ context, event }) => [...context.failures, event.error] }) },
        close: '.closing',
      },
    },
    closed: { type: 'final' },
  },
});
