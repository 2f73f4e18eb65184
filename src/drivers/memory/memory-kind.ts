import { z } from 'zod';
import type { DriverKind } from '../../kinds/kind-descriptors.ts';

/** Default bound of an in-memory queue, as in Wippy. */
export const DEFAULT_MEMORY_MAX_LENGTH = 1000;

/** Default bound on publish calls waiting for room in a full in-memory queue. */
export const DEFAULT_MEMORY_MAX_WAITING = 10_000;

/** `driver_options.memory` of a queue. */
export const memoryQueueOptionsSchema = z
  .object({
    /** Most ready messages the queue holds; publishing beyond it waits. */
    max_length: z.number().int().positive().default(DEFAULT_MEMORY_MAX_LENGTH),
    /**
     * Most publish calls that may wait for room at once (a `publishBatch`
     * counts once; its messages are the caller's array, already allocated).
     * Beyond it `publish` rejects at once with `QueueFullError`; 0 means a
     * full queue never makes anyone wait.
     */
    max_waiting: z.number().int().min(0).default(DEFAULT_MEMORY_MAX_WAITING),
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
