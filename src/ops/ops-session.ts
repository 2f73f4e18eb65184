import type { Driver, QueueDeclaration } from '../drivers/driver.ts';
import type { DriverEntry, QueueEntry } from '../config/entry-types.ts';
import { isQueueEntry, type Registry } from '../config/registry.ts';
import type { KindCatalog } from '../kinds/kind-descriptors.ts';
import { builtinKinds } from '../kinds/builtin-kinds.ts';
import { NotFoundError } from '../errors/not-found-error.ts';
import { DriverUnavailableError } from '../errors/lifecycle-errors.ts';
import { Publisher } from '../runtime/publisher.ts';
import type { QueueBinding } from '../runtime/runtime-wiring.ts';
import { childLogger, silentLogger, type Logger } from '../util/logger.ts';
import { closestName } from './closest-name.ts';

/** Options of {@link OpsSession}. */
export interface OpsSessionOptions {
  /** Kinds understood. @default builtinKinds */
  readonly kinds?: KindCatalog;
  /** Where the drivers log (reconnects, set-aside entries). @default silent */
  readonly logger?: Logger;
}

/**
 * A connection to the queues of a configuration for one operator command
 * (`actorq publish`, `info`, `peek`, `purge`, `dead-letters`): only the
 * drivers of the queues it is asked for are built and started, only those
 * queues are declared, and nothing else runs: no consumer, no handler
 * code, no actor system. Publishes go through the same checks as the
 * runtime's (body rule, size limit, reserved headers).
 *
 * Each driver start is bounded by its entry's `lifecycle.start_timeout`:
 * a broker that cannot be reached fails the command instead of waiting
 * through reconnects.
 *
 * @example
 * ```ts
 * const ops = new OpsSession(await loadConfig(['config/']))
 * try {
 *   await ops.queue('app:tasks')
 *   await ops.publisher.publish('app:tasks', { id: 1 })
 * } finally {
 *   await ops.close()
 * }
 * ```
 */
export class OpsSession {
  readonly registry: Registry;
  /** Publishes to queues connected with {@link OpsSession.queue}. */
  readonly publisher: Publisher;
  readonly #kinds: KindCatalog;
  readonly #logger: Logger;
  readonly #bindings = new Map<string, QueueBinding>();
  readonly #drivers = new Map<string, Promise<Driver>>();
  readonly #declared = new Map<string, Promise<QueueBinding>>();

  constructor(registry: Registry, options: OpsSessionOptions = {}) {
    this.registry = registry;
    this.#kinds = options.kinds ?? builtinKinds;
    this.#logger = options.logger ?? silentLogger;
    this.publisher = new Publisher(() => this.#bindings);
  }

  /** Every `queue.queue` entry, in file order. */
  get queueEntries(): QueueEntry[] {
    return [...this.registry.entries.values()].filter(isQueueEntry);
  }

  /** The queue entry `id`; `NotFoundError` naming the closest queue ID when there is one. */
  queueEntry(id: string): QueueEntry {
    const entry = this.registry.entries.get(id);
    if (entry && isQueueEntry(entry)) return entry;
    const ids = this.queueEntries.map((q) => q.id);
    const near = closestName(id, ids);
    const detail = entry ? `${id} is a ${entry.kind} entry` : near ? `did you mean ${near}?` : ids.length > 0 ? `queues: ${ids.join(', ')}` : 'the configuration has no queue';
    throw new NotFoundError('queue', id, detail);
  }

  /** The driver entry a queue uses. */
  driverEntryOf(queue: QueueEntry): DriverEntry {
    return this.registry.entries.get(queue.driver) as DriverEntry;
  }

  /** Connects the queue's driver (once) and declares the queue (once). */
  queue(id: string): Promise<QueueBinding> {
    const entry = this.queueEntry(id);
    let declared = this.#declared.get(id);
    if (!declared) {
      declared = this.#declare(entry);
      this.#declared.set(id, declared);
    }
    return declared;
  }

  /** Stops every driver this session started. */
  async close(): Promise<void> {
    const drivers = await Promise.allSettled(this.#drivers.values());
    await Promise.allSettled(drivers.map((d) => (d.status === 'fulfilled' ? d.value.stop() : undefined)));
  }

  async #declare(entry: QueueEntry): Promise<QueueBinding> {
    const driverEntry = this.driverEntryOf(entry);
    const driver = await this.#driver(driverEntry);
    const binding: QueueBinding = { entry, driver, declaration: this.#declaration(entry, driverEntry) };
    await driver.declare(binding.declaration);
    this.#bindings.set(entry.id, binding);
    return binding;
  }

  /** As the runtime declares it (see `wireRegistry`), so a command never changes a queue's declaration. */
  #declaration(entry: QueueEntry, driverEntry: DriverEntry): QueueDeclaration {
    const optionsKey = this.#kinds.drivers.get(driverEntry.kind)!.optionsKey;
    const deadLetter = entry.dead_letter ? this.registry.entries.get(entry.dead_letter.queue) : undefined;
    const sameDriver = deadLetter && isQueueEntry(deadLetter) && deadLetter.driver === entry.driver;
    return {
      id: entry.id,
      name: entry.queue_name,
      options: entry.driver_options[optionsKey] ?? {},
      ...(sameDriver ? { deadLetterName: deadLetter.queue_name } : {}),
    };
  }

  #driver(entry: DriverEntry): Promise<Driver> {
    let started = this.#drivers.get(entry.id);
    if (!started) {
      started = this.#start(entry);
      this.#drivers.set(entry.id, started);
    }
    return started;
  }

  async #start(entry: DriverEntry): Promise<Driver> {
    const kind = this.#kinds.drivers.get(entry.kind)!;
    const driver = await kind.create(entry, { logger: childLogger(this.#logger, { driver: entry.id }) });
    const limit = entry.lifecycle.start_timeout;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limit)));
    try {
      const starting = driver.start().then(() => 'started' as const);
      // Past the limit nobody awaits it any more; its failure is the stop below.
      starting.catch(() => undefined);
      const outcome = await Promise.race([starting, timedOut]);
      if (outcome === 'timeout') {
        throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${entry.id} did not connect within ${limit}ms (its lifecycle.start_timeout)`);
      }
      return driver;
    } catch (error) {
      await driver.stop().catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
