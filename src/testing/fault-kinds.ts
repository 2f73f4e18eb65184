import { z } from 'zod';
import { memoryQueueOptionsSchema } from '../drivers/memory/memory-kind.ts';
import { builtinKinds } from '../kinds/builtin-kinds.ts';
import type { DriverKind, KindCatalog } from '../kinds/kind-descriptors.ts';
import { FaultDriver } from './fault-driver.ts';

/**
 * `queue.driver.faulty`: a {@link FaultDriver} per entry, registered in
 * `made` by entry ID. Queues take `driver_options.faulty`, the same options
 * as the memory driver's.
 *
 * @example
 * ```ts
 * const made = new Map<string, FaultDriver>()
 * const kinds = { drivers: new Map([['queue.driver.faulty', faultDriverKind(made)]]), functions: builtinKinds.functions }
 * ```
 */
export function faultDriverKind(made: Map<string, FaultDriver>): DriverKind {
  return {
    kind: 'queue.driver.faulty',
    optionsKey: 'faulty',
    schema: z.object({}).strict(),
    queueOptionsSchema: memoryQueueOptionsSchema,
    async create(entry) {
      const driver = new FaultDriver(entry.id);
      made.set(entry.id, driver);
      return driver;
    },
  };
}

/**
 * `kinds` with every driver kind building a {@link FaultDriver} instead of
 * its backend (registered in `made` by entry ID), plus `queue.driver.faulty`.
 * Each kind keeps its schemas, so a configuration written for AMQP or
 * Redis is validated exactly as in production and then runs in memory,
 * with no broker, and with faults on command.
 *
 * @example
 * ```ts
 * const made = new Map<string, FaultDriver>()
 * const runtime = createRuntime({ files: ['config/'], kinds: withFaultDrivers(builtinKinds, made) })
 * ```
 */
export function withFaultDrivers(kinds: KindCatalog, made: Map<string, FaultDriver>): KindCatalog {
  const faulty = faultDriverKind(made);
  const drivers = new Map<string, DriverKind>([...kinds.drivers].map(([name, kind]) => [name, { ...kind, create: faulty.create }]));
  drivers.set(faulty.kind, faulty);
  return { drivers, functions: kinds.functions };
}

/** Every {@link FaultDriver} made through {@link kindsWithFaults}, by driver entry ID (process-wide). */
export const faultDrivers = new Map<string, FaultDriver>();

/**
 * The built-in kinds plus `queue.driver.faulty` (registering in
 * {@link faultDrivers}), for configurations that name the fault driver
 * themselves and keep real drivers for the rest.
 */
export const kindsWithFaults: KindCatalog = {
  drivers: new Map([...builtinKinds.drivers, ['queue.driver.faulty', faultDriverKind(faultDrivers)]]),
  functions: builtinKinds.functions,
};
