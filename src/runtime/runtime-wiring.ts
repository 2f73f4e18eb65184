import type { Driver, QueueDeclaration } from '../drivers/driver.ts';
import type { ConsumerEntry, DriverEntry, QueueEntry } from '../config/entry-types.ts';
import { isConsumerEntry, isDriverEntry, isQueueEntry, type Registry } from '../config/registry.ts';
import type { Handler, HandlerContext } from '../functions/handler.ts';
import type { KindCatalog, LoadedFunction } from '../kinds/kind-descriptors.ts';
import { WorkerPool } from '../consumer/worker-pool.ts';
import type { DeadLetterTarget } from '../consumer/settle-policy.ts';
import { NotFoundError } from '../errors/not-found-error.ts';
import { childLogger, type Logger } from '../util/logger.ts';
import type { QueueInfo } from '../drivers/driver.ts';
import type { AccessGuard } from '../security/access-guard.ts';
import { consumerDriverSettings } from '../kinds/consumer-options.ts';

/** A queue as the runtime routes to it. */
export interface QueueBinding {
  readonly entry: QueueEntry;
  readonly driver: Driver;
  readonly declaration: QueueDeclaration;
}

/** Everything built from one loaded registry: drivers, queue bindings, worker pools, functions. */
export interface RuntimeWiring {
  readonly registry: Registry;
  readonly drivers: ReadonlyMap<string, { readonly entry: DriverEntry; readonly driver: Driver }>;
  readonly queues: ReadonlyMap<string, QueueBinding>;
  readonly consumers: ReadonlyMap<string, { readonly entry: ConsumerEntry; readonly pool: WorkerPool }>;
}

/** What {@link wireRegistry} needs besides the registry. */
export interface WiringDeps {
  readonly kinds: KindCatalog;
  readonly logger: Logger;
  readonly programmatic: Readonly<Record<string, Handler>>;
  readonly publish: HandlerContext['publish'];
  readonly info: (queueId: string) => Promise<QueueInfo>;
  /** The guard of a consumer's actor and policies; undefined = nothing checked. */
  readonly security?: (consumer: ConsumerEntry) => AccessGuard | undefined;
  /** Tells the consumer's machine that its subscription broke. */
  readonly onConsumerFailure: (consumerId: string, error: unknown) => void;
}

/**
 * Builds the objects behind the actors: one driver per driver entry (its
 * client library imported now), a binding per queue, a worker pool per
 * consumer. Nothing connects and no user code runs yet: a consumer whose
 * handler is a function entry gets it when functions load, at start
 * ({@link useLoadedFunctions}).
 */
export async function wireRegistry(registry: Registry, deps: WiringDeps): Promise<RuntimeWiring> {
  const drivers = new Map<string, { entry: DriverEntry; driver: Driver }>();
  const queues = new Map<string, QueueBinding>();
  const consumers = new Map<string, { entry: ConsumerEntry; pool: WorkerPool }>();
  const entries = [...registry.entries.values()];

  for (const entry of entries.filter(isDriverEntry)) {
    const kind = deps.kinds.drivers.get(entry.kind)!;
    const driver = await kind.create(entry, { logger: childLogger(deps.logger, { driver: entry.id }) });
    drivers.set(entry.id, { entry, driver });
  }
  const queueEntries = entries.filter(isQueueEntry);
  const byId = new Map(queueEntries.map((e) => [e.id, e]));
  for (const entry of queueEntries) {
    const { entry: driverEntry, driver } = drivers.get(entry.driver)!;
    const optionsKey = deps.kinds.drivers.get(driverEntry.kind)!.optionsKey;
    const deadLetter = entry.dead_letter ? byId.get(entry.dead_letter.queue) : undefined;
    const declaration: QueueDeclaration = {
      id: entry.id,
      name: entry.queue_name,
      options: entry.driver_options[optionsKey] ?? {},
      // Only a dead-letter queue on the same backend can take a raw entry as it is.
      ...(deadLetter && deadLetter.driver === entry.driver ? { deadLetterName: deadLetter.queue_name } : {}),
    };
    queues.set(entry.id, { entry, driver, declaration });
  }
  for (const entry of entries.filter(isConsumerEntry)) {
    const queue = queues.get(entry.queue)!;
    const handler = deps.programmatic[entry.func];
    if (!handler && !registry.entries.has(entry.func)) throw new NotFoundError('function', entry.func, `consumer ${entry.id}`);
    const settings = consumerDriverSettings(entry, deps.kinds.drivers.get(drivers.get(queue.entry.driver)!.entry.kind)!);
    const pool = new WorkerPool({
      consumerId: entry.id,
      queueId: queue.entry.id,
      queueName: queue.declaration.name,
      driver: queue.driver,
      handler,
      concurrency: entry.concurrency,
      prefetch: entry.prefetch,
      timeout: entry.timeout,
      deadLetter: deadLetterTarget(queue.entry, queues),
      retry: queue.entry.retry,
      logger: deps.logger,
      publish: deps.publish,
      info: deps.info,
      security: deps.security?.(entry),
      onFailure: (error) => deps.onConsumerFailure(entry.id, error),
      ...settings,
    });
    consumers.set(entry.id, { entry, pool });
  }
  return { registry, drivers, queues, consumers };
}

/**
 * Hands each consumer whose `func` is a function entry its loaded handler.
 * Handlers supplied in code (`programmatic`) win, as at wiring.
 */
export function useLoadedFunctions(wiring: RuntimeWiring, functions: ReadonlyMap<string, LoadedFunction>, programmatic: Readonly<Record<string, Handler>>): void {
  for (const { entry, pool } of wiring.consumers.values()) {
    if (programmatic[entry.func]) continue;
    const loaded = functions.get(entry.func);
    if (!loaded) throw new NotFoundError('function', entry.func, `consumer ${entry.id}`);
    pool.useHandler(loaded.handler);
  }
}

function deadLetterTarget(queue: QueueEntry, queues: ReadonlyMap<string, QueueBinding>): DeadLetterTarget | undefined {
  if (!queue.dead_letter) return undefined;
  const target = queues.get(queue.dead_letter.queue)!;
  return {
    queueId: target.entry.id,
    queueName: target.declaration.name,
    driver: target.driver,
    maxAttempts: queue.dead_letter.max_attempts,
  };
}
