import { afterAll } from 'vitest';
import { describeDriverConformance } from './conformance.ts';
import { deletePrefix, deleteQueue, makeDriver, uniquePrefix } from './redis/redis-test-env.ts';

const prefix = uniquePrefix('conformance');

describeDriverConformance('redis', {
  create: async () => makeDriver(prefix),
  queueOptions: { visibility_timeout: '5s' },
  destroyQueue: (name) => deleteQueue(prefix, name),
  releasesToHead: true,
  publishBeforeStart: false,
});

afterAll(() => deletePrefix(prefix));
