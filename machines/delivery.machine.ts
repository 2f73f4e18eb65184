import { setup } from 'xstate';

/** Events of one message's life inside a consumer. */
export type DeliveryEvent =
  | { type: 'message.start' }
  /** The handler settled early with `ctx.message.ack()`. */
  | { type: 'message.ack' }
  /** The handler settled early with `ctx.message.nack()`. */
  | { type: 'message.nack' }
  /** Shutdown gives the message back untouched. */
  | { type: 'message.release' }
  /** The handler returned (or its promise fulfilled). */
  | { type: 'message.return' }
  /** The handler threw (or its promise rejected). */
  | { type: 'message.fail' }
  /** The handler ran past the consumer's `timeout`. */
  | { type: 'message.timeout' };

/**
 * One message's life inside a consumer:
 *
 * ```
 * received -> processing --return / ack--> acked  --return/fail--> done
 *                        --fail / nack---> nacked --return/fail--> done
 *                        --timeout-------> timedOut  (late result ignored)
 * received/processing --release--> released          (shutdown: back to the queue)
 * ```
 *
 * Every settle the runtime performs is a transition here, with the settle
 * as its action (`settleAck`, `settleNack`, `settleRelease`): a handler
 * that returns acks, one that fails nacks, one past its timeout is nacked
 * and detached from its worker. `acked`/`nacked` mean settled while the
 * handler may still run (early settle). A settle event with no transition
 * is refused: in `acked`/`nacked` that is the "already settled" rule; in
 * `done`, `released` and `timedOut` the handler's call is over and a settle
 * is late (ignored and logged, never thrown into a timer).
 *
 * The runtime never runs this machine per message. It derives a table of
 * (next state, action) from it once (`src/consumer/delivery-table.ts`), and a
 * test checks that table against the machine for every state and event.
 */
export const deliveryMachine = setup({
  types: {
    events: {} as DeliveryEvent,
  },
  actions: {
    // The hot path reads these names from the table; they do nothing here.
    settleAck: () => {},
    settleNack: () => {},
    settleRelease: () => {},
  },
}).createMachine({
  id: 'delivery',
  initial: 'received',
  states: {
    received: {
      on: { 'message.start': 'processing', 'message.release': { target: 'released', actions: 'settleRelease' } },
    },
    processing: {
      on: {
        'message.ack': { target: 'acked', actions: 'settleAck' },
        'message.nack': { target: 'nacked', actions: 'settleNack' },
        'message.release': { target: 'released', actions: 'settleRelease' },
        'message.return': { target: 'done', actions: 'settleAck' },
        'message.fail': { target: 'done', actions: 'settleNack' },
        'message.timeout': { target: 'timedOut', actions: 'settleNack' },
      },
    },
    acked: {
      on: { 'message.return': 'done', 'message.fail': 'done' },
    },
    nacked: {
      on: { 'message.return': 'done', 'message.fail': 'done' },
    },
    released: {},
    timedOut: {},
    done: {
      type: 'final',
    },
  },
});
