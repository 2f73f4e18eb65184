import { z } from 'zod';
import type { DriverKind } from '../../kinds/kind-descriptors.ts';

/** Default bound of an in-memory queue, as in Wippy. */
export const DEFAULT_MEMORY_MAX_LENGTH = 1000;

/** `driver_options.memory` of a queue. */
export const memoryQueueOptionsSchema = z
  .object({
    /** Most ready messages the queue holds; publishing beyond it waits. */
    max_length: z.number().int().positive().default(DEFAULT_MEMORY_MAX_LENGTH),
  })
  .strict();

/** `queue.driver.memory`: in-process queues for development, tests and single-process apps. */
export const memoryDriverKind: DriverKind = {
  kind: 'queue.driver.memory',
  optionsKey: 'memory',
  schema: z.object({}).strict(),
  queueOptionsSchema: memoryQueueOptionsSchema,
  async create(entry) {
    const { MemoryDriver } = await import('./memory-driver.ts');
    return new MemoryDriver(entry.id);
  },
};
