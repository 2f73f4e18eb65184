import type { Driver, QueueInfo } from '../drivers/driver.ts';
import type { Handler, HandlerContext } from '../functions/handler.ts';
import type { Logger } from '../util/logger.ts';
import type { RetryPolicy } from '../config/entry-types.ts';
import type { DeadLetterTarget } from './settle-policy.ts';
import type { AccessGuard } from '../security/access-guard.ts';

/** Everything a {@link WorkerPool} is built from. */
export interface WorkerPoolOptions {
  readonly consumerId: string;
  readonly queueId: string;
  readonly queueName: string;
  readonly driver: Driver;
  /** The handler; may be given later with {@link WorkerPool.useHandler} (functions load at start). */
  readonly handler?: Handler;
  readonly concurrency: number;
  readonly prefetch: number;
  /** Per-message handler limit in ms; undefined = none. */
  readonly timeout?: number;
  readonly deadLetter?: DeadLetterTarget;
  /** The queue's `retry` policy (a nacked message waits before its next delivery); absent = requeue at once. */
  readonly retry?: RetryPolicy;
  readonly logger: Logger;
  readonly publish: HandlerContext['publish'];
  readonly info: (queueId: string) => Promise<QueueInfo>;
  /** The consumer's actor and policies (`queue.consume` at start, publish and info from handlers); absent = nothing checked. */
  readonly security?: AccessGuard;
  /** Called when the subscription breaks while the pool is accepting (for the consumer machine). */
  readonly onFailure: (error: unknown) => void;
  /** The consumer's `driver_options` section for its driver, and `auto_ack`, passed to `consume` (see `ConsumeOptions`). */
  readonly driverOptions?: Readonly<Record<string, unknown>>;
  readonly autoAck?: boolean;
}
