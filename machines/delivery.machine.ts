import { setup } from 'xstate';

/** Events of one message's life inside a consumer. */
export type DeliveryEvent =
  | { type: 'message.start' }
  | { type: 'message.ack' }
  | { type: 'message.nack' }
  | { type: 'message.release' }
  | { type: 'message.finish' };

/**
 * One message's life inside a consumer:
 *
 * ```
 * received -> processing -> acked  -> done
 *                       \-> nacked -> done
 * received/processing -> released        (shutdown: back to the queue, attempts unchanged)
 * ```
 *
 * `acked`/`nacked` mean settled while the handler may still run (early
 * settle); `message.finish` is the handler returning. A settle event in a
 * settled state has no transition: that is the "already settled" rule, and
 * in `done`/`released` the "message released" rule.
 *
 * The runtime never runs this machine per message. It derives a transition
 * table from it once (`src/consumer/delivery-table.ts`), and a test checks
 * that table against the machine for every state and event.
 */
export const deliveryMachine = setup({
  types: {
    events: {} as DeliveryEvent,
  },
}).createMachine({
  id: 'delivery',
  initial: 'received',
  states: {
    received: {
      on: { 'message.start': 'processing', 'message.release': 'released' },
    },
    processing: {
      on: {
        'message.ack': 'acked',
        'message.nack': 'nacked',
        'message.release': 'released',
      },
    },
    acked: {
      on: { 'message.finish': 'done' },
    },
    nacked: {
      on: { 'message.finish': 'done' },
    },
    released: {
      on: { 'message.finish': 'released' },
    },
    done: {
      type: 'final',
    },
  },
});
