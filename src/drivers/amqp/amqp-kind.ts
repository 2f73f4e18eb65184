import { dirname } from 'node:path';
import type { DriverKind } from '../../kinds/kind-descriptors.ts';
import { amqpConsumerOptionsSchema, amqpDriverSchema, amqpQueueOptionsSchema } from './amqp-options.ts';

/**
 * `queue.driver.amqp`: queues on an AMQP 0-9-1 broker (RabbitMQ), with
 * publisher confirms and automatic reconnect. amqplib is loaded only when a
 * configuration uses this kind.
 *
 * @example
 * ```yaml
 * - name: rabbit
 *   kind: queue.driver.amqp
 *   url: amqp://guest:guest@localhost:5672/
 *   lifecycle: { auto_start: true }
 * ```
 */
export const amqpDriverKind: DriverKind = {
  kind: 'queue.driver.amqp',
  optionsKey: 'amqp',
  schema: amqpDriverSchema,
  queueOptionsSchema: amqpQueueOptionsSchema,
  consumerOptionsSchema: amqpConsumerOptionsSchema,
  // Acked as the driver hands a delivery out (see amqp-consumption.ts).
  autoAck: true,
  async create(entry, env) {
    const { AmqpDriver } = await import('./amqp-driver.ts');
    // The entry was validated by `schema`, so its options have that shape.
    // `file://` TLS material is relative to the YAML file, as function sources are.
    const baseDir = entry.file === '<inline>' ? process.cwd() : dirname(entry.file);
    return new AmqpDriver(entry.id, amqpDriverSchema.parse(entry.options), { logger: env.logger, baseDir });
  },
};
