import { describeDriverConformance } from './conformance.ts';
import { destroyQueue, makeDriver } from './nats/nats-test-env.ts';

// The shared driver contract, against the real NATS JetStream on 127.0.0.1:4222.
describeDriverConformance('nats', {
  create: async () => makeDriver(),
  queueOptions: { ack_wait: '5s' },
  destroyQueue: (name) => destroyQueue(name),
  // A `nak` puts the message before newer ones, but races with a pull request sent right after it.
  releasesToHead: false,
  publishBeforeStart: false,
});
