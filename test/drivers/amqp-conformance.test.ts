import { describeDriverConformance } from './conformance.ts';
import { destroyQueueAndDelays, makeDriver } from './amqp/broker-helpers.ts';

// The shared driver contract, against the real RabbitMQ on 127.0.0.1:5672.
describeDriverConformance('amqp', {
  create: async () => makeDriver(),
  queueOptions: { durable: true, auto_delete: false },
  // Also the delay queues of delayed publishes and retries.
  destroyQueue: (name) => destroyQueueAndDelays(name),
  releasesToHead: false,
  publishBeforeStart: false,
  // Properties read back into headers, as Wippy's driver reports them.
  reportedHeaders: { content_type: 'application/json', 'amqp.priority': 0, 'amqp.delivery_mode': 2 },
});
