import type { QueueDeclaration } from '../driver.ts';
import { ConfigError } from '../../errors/config-error.ts';
import { queueArguments, type QueueArgumentDefaults } from './amqp-options.ts';
import type { AmqpSession } from './amqp-session.ts';
import { brokerReason, isPreconditionFailed } from './amqp-errors.ts';

/**
 * Declares a queue entry's queue with the arguments its options give (see
 * {@link queueArguments}: the same ones Wippy declares for the same YAML).
 * A queue that exists with other arguments is a {@link ConfigError}
 * naming the entry and the broker's reason; other errors are rethrown.
 *
 * @internal
 */
export async function declareQueue(session: AmqpSession, queue: QueueDeclaration, defaults: QueueArgumentDefaults): Promise<void> {
  try {
    await session.assertQueue(queue.name, queueArguments(queue.options, defaults));
  } catch (e) {
    if (!isPreconditionFailed(e)) throw e;
    throw new ConfigError([
      {
        entryId: queue.id,
        field: 'driver_options.amqp',
        message:
          `queue "${queue.name}" exists on the broker with other arguments (${brokerReason(e)}); ` +
          'change the options (and the driver defaults default_queue_ttl, default_queue_expiry) to match, or delete the queue ' +
          '(a queue shared with Wippy takes only durable, auto_delete, message_ttl, queue_expiry: see docs/wippy-compatibility.md)',
      },
    ]);
  }
}
