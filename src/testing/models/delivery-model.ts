import { createMachine } from 'xstate';

/**
 * Events of {@link deliveryModel}, one message inside a consumer:
 *
 * - `START`: a worker takes the message from the prefetch buffer and
 *   calls the handler;
 * - `ACK` / `NACK`: the handler settles early (`ctx.message.ack()` /
 *   `ctx.message.nack()`) and goes on running;
 * - `RETURN` / `FAIL`: the handler returns / throws;
 * - `RELEASE`: a stop hands the message back to the queue untouched
 *   (waiting in the buffer, or at `stop_timeout`);
 * - `TIMEOUT`: the handler runs past the consumer's `timeout`.
 */
export type DeliveryModelEvent = { type: 'START' | 'ACK' | 'NACK' | 'RELEASE' | 'RETURN' | 'FAIL' | 'TIMEOUT' };

/**
 * Abstract model of one delivery. No input.
 *
 * ```
 * received --START--> processing --RETURN--> done (acked)
 *                                 --FAIL----> done (nacked)
 *                                 --ACK-----> acked  --RETURN/FAIL--> done
 *                                 --NACK----> nacked --RETURN/FAIL--> done
 *                                 --TIMEOUT-> timedOut (nacked; a late result is ignored)
 * received/processing --RELEASE--> released (back to the queue, attempts unchanged)
 * ```
 *
 * `meta.settle` is the settle the step into that state performs (`ack`,
 * `nack`, `release`, or none), `meta.settled` whether the handler may still
 * settle (false: a second ack/nack throws "already settled"; `late`: the
 * call is over, a settle is ignored and counted as late). `done` is
 * reached with the settle of the step before. Written as a specification,
 * not derived from `machines/delivery.machine.ts`.
 */
export const deliveryModel = createMachine({
  id: 'delivery-model',
  types: {} as { events: DeliveryModelEvent },
  initial: 'received',
  states: {
    received: { meta: { settled: false }, on: { START: 'processing', RELEASE: 'released' } },
    processing: {
      meta: { settled: false },
      on: { ACK: 'acked', NACK: 'nacked', RELEASE: 'released', RETURN: 'done', FAIL: 'done', TIMEOUT: 'timedOut' },
    },
    acked: { meta: { settle: 'ack', settled: true }, on: { RETURN: 'done', FAIL: 'done' } },
    nacked: { meta: { settle: 'nack', settled: true }, on: { RETURN: 'done', FAIL: 'done' } },
    released: { meta: { settle: 'release', settled: 'late' } },
    timedOut: { meta: { settle: 'nack', settled: 'late' } },
    done: { meta: { settled: 'late' }, type: 'final' },
  },
});
