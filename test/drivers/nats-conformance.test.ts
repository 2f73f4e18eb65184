import { describeDriverConformance } from './conformance.ts';
import { destroyQueue, makeDriver } from './nats/nats-test-env.ts';

// The shared driver contract, against the real NATS JetStream on 127.0.0.1:4222.
describeDriverConformance('nats', {
  create: async () => makeDriver(),
  queueOptions: { ack_wait: '5s' },
  destroyQueue: (name) => destroyQueue(name),
  // A release is a copy at the tail (see docs/nats-driver.md, Retries).
  releasesToHead: false,
  publishBeforeStart: false,
});
