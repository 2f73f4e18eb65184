import type { ConsumerInput } from './consumer.machine.ts';
import type { RestartSettings, ServiceInput } from './lifecycle-types.ts';
import type { QueueInput } from './queue.machine.ts';
import type { WorkerInput } from './worker.machine.ts';

/** `lifecycle.restart` with its defaults: 1 s doubling up to 90 s, 10 % jitter, retried forever. */
export const EXAMPLE_RESTART: RestartSettings = { initial_delay: 1_000, max_delay: 90_000, backoff_factor: 2, jitter: 0.1, max_attempts: 0 };

/** A driver entry `app:driver` with default limits (10 s to start, 10 s to stop). */
export const EXAMPLE_DRIVER_INPUT: ServiceInput = { id: 'app:driver', start_timeout: 10_000, stop_timeout: 10_000, restart: EXAMPLE_RESTART };

/** A queue `app:queue` on `app:driver`; its limits are its driver's. */
export const EXAMPLE_QUEUE_INPUT: QueueInput = { id: 'app:queue', driver: 'app:driver', start_timeout: 10_000, stop_timeout: 10_000 };

/** A consumer `app:consumer` with two workers and default limits. */
export const EXAMPLE_CONSUMER_INPUT: ConsumerInput = { id: 'app:consumer', start_timeout: 10_000, stop_timeout: 10_000, restart: EXAMPLE_RESTART, concurrency: 2 };

/** Worker 0 of `app:consumer`. */
export const EXAMPLE_WORKER_INPUT: WorkerInput = { consumerId: 'app:consumer', index: 0 };

/**
 * A valid `input` for each machine that takes one, with the configuration
 * defaults (`lifecycle:` block) as values. The runtime builds the real
 * inputs from the registry (`src/runtime/runtime-children.ts`); these are
 * for people: the visualiser export (`actorq machines --json`), model-based
 * tests and anyone who creates one of the machines by hand.
 *
 * @example
 * ```ts
 * import { createActor } from 'xstate'
 * const consumer = createActor(consumerMachine, { input: EXAMPLE_CONSUMER_INPUT }).start()
 * consumer.getSnapshot().context.concurrency // 2
 * ```
 *
 * Machines without input (runtime, connection, delivery) are absent.
 */
export const EXAMPLE_INPUTS: Readonly<Record<string, unknown>> = {
  driver: EXAMPLE_DRIVER_INPUT,
  queue: EXAMPLE_QUEUE_INPUT,
  consumer: EXAMPLE_CONSUMER_INPUT,
  worker: EXAMPLE_WORKER_INPUT,
};
