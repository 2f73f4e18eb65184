import type { Consumption } from '../drivers/driver.ts';
import type { DeliveryContext, DeliveryHost, DeliveryOwner } from './delivery-context.ts';
import type { TimedWorker } from './handler-timeouts.ts';

/**
 * One worker's place in a pool: the message it holds, and who waits for it
 * to go idle. Plain data fields only: the hot path reads them per message,
 * and a getter would give every slot a slower shape.
 * @internal
 */
export interface Slot extends DeliveryOwner, TimedWorker {
  readonly index: number;
  readonly host: DeliveryHost;
  /** The subscription that delivered `ctx`, set when the worker takes a message. */
  consumption: Consumption | undefined;
  ctx: DeliveryContext | undefined;
  busy: boolean;
  /** Set when a still-running handler was taken away from this worker (see `#detach`). */
  detached: boolean;
  idleWaiters: (() => void)[];
  /** Start of a sampled handler call (ms), or 0. */
  t0: number;
  /** The handler-timeout sweeper's note of the message it last saw here (see `HandlerTimeouts`). */
  watched: unknown;
  /** When the sweeper first saw `watched` here (ms). */
  watchedSince: number;
  /** Continuations made once per worker, so an async handler costs no closure per message. */
  onFulfilled: () => void;
  onRejected: (error: unknown) => void;
}
