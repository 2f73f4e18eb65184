import type { DriverKind } from '../../kinds/kind-descriptors.ts';
import { natsDriverOptionsSchema, natsQueueOptionsSchema } from './nats-options.ts';

/**
 * `queue.driver.nats`: queues in NATS JetStream (one work-queue stream per
 * queue, a shared durable pull consumer), at-least-once, with
 * acknowledged publishes and automatic reconnect. The nats.js client is
 * loaded only when a configuration uses this kind.
 *
 * @example
 * ```yaml
 * - name: nats
 *   kind: queue.driver.nats
 *   servers: nats://127.0.0.1:4222
 *   lifecycle: { auto_start: true }
 * ```
 */
export const natsDriverKind: DriverKind = {
  kind: 'queue.driver.nats',
  optionsKey: 'nats',
  schema: natsDriverOptionsSchema,
  queueOptionsSchema: natsQueueOptionsSchema,
  async create(entry, env) {
    const { NatsDriver } = await import('./nats-driver.ts');
    // The entry was validated by `schema`, so its options have that shape.
    return new NatsDriver(entry.id, natsDriverOptionsSchema.parse(entry.options), { logger: env.logger });
  },
};
