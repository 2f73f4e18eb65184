import { fromPromise } from 'xstate';
import { consumerMachine } from '../../machines/consumer.machine.ts';
import { driverMachine } from '../../machines/driver.machine.ts';
import { queueMachine } from '../../machines/queue.machine.ts';
import { workerMachine, type WorkerInput } from '../../machines/worker.machine.ts';
import type { ServiceContext } from '../../machines/lifecycle-types.ts';
import { backoffDelay } from '../util/backoff.ts';
import type { RuntimeWiring } from './runtime-wiring.ts';

/** Where the machine implementations find the live objects. */
export interface EntryLogicDeps {
  /** The current wiring; undefined before load. */
  wiring(): RuntimeWiring;
  /** Records how many in-flight messages a consumer released at its stop timeout. */
  onAbandoned(consumerId: string, released: number): void;
}

/** Jittered restart backoff from an entry's `lifecycle.restart`. */
const restartDelay = ({ context }: { context: ServiceContext }) =>
  backoffDelay(Math.max(1, context.attempts), {
    initialDelay: context.restart.initial_delay,
    maxDelay: context.restart.max_delay,
    factor: context.restart.backoff_factor,
    jitter: context.restart.jitter,
  });

/**
 * Binds the pure machines in `machines/` to drivers and worker pools with
 * `.provide()`. The machines decide when; these functions do the I/O.
 */
export function provideEntryLogic(deps: EntryLogicDeps) {
  const driverOf = (id: string) => deps.wiring().drivers.get(id)!.driver;
  const poolOf = (id: string) => deps.wiring().consumers.get(id)!.pool;
  const queueOf = (id: string) => deps.wiring().queues.get(id)!;

  const driver = driverMachine.provide({
    actors: {
      startDriver: fromPromise<void, { id: string }>(({ input }) => driverOf(input.id).start()),
      stopDriver: fromPromise<void, { id: string }>(({ input }) => driverOf(input.id).stop()),
    },
    delays: { restartDelay },
  });

  const queue = queueMachine.provide({
    actors: {
      declareQueue: fromPromise<void, { id: string }>(async ({ input }) => {
        const binding = queueOf(input.id);
        await binding.driver.declare(binding.declaration);
      }),
      // Consumers of the queue have stopped by now (they stop first), and
      // its messages belong to the driver: nothing to wait for.
      drainQueue: fromPromise<void, { id: string }>(async () => undefined),
    },
  });

  const worker = workerMachine.provide({
    actors: {
      awaitIdle: fromPromise<void, WorkerInput>(({ input }) => poolOf(input.consumerId).slotIdle(input.index)),
    },
  });

  const consumer = consumerMachine.provide({
    actors: {
      worker,
      startConsumer: fromPromise<void, { id: string }>(async ({ input }) => poolOf(input.id).start()),
      drainConsumer: fromPromise<void, { id: string }>(({ input, signal }) => poolOf(input.id).drained(signal)),
    },
    actions: {
      beginDrain: ({ context }) => poolOf(context.id).beginDrain(),
      abandonInFlight: ({ context }) => deps.onAbandoned(context.id, poolOf(context.id).abandonInFlight()),
    },
    delays: { restartDelay },
  });

  return { driver, queue, consumer };
}
