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
});
