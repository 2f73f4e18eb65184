import { describeDriverConformance } from './conformance.ts';
import { destroyQueue, makeDriver } from './amqp/broker-helpers.ts';

// The shared driver contract, against the real RabbitMQ on 127.0.0.1:5672.
describeDriverConformance('amqp', {
  create: async () => makeDriver(),
  queueOptions: { durable: true, auto_delete: false },
  destroyQueue,
  releasesToHead: false,
  publishBeforeStart: false,
});
