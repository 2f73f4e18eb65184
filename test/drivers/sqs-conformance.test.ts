import { afterAll, vi } from 'vitest';
import { describeDriverConformance } from './conformance.ts';
import { deleteQueue, makeDriver, sharedFauxqs } from './sqs/sqs-test-env.ts';

// The shared driver contract, against a real SQS API server (fauxqs on a
// private loopback port). SQS carries 10 message attributes: the suite's
// fifteen headers travel with `header_overflow: pack`. Visibility timeouts
// are short so that nothing in the suite waits the default 30 s.
const { server, stopServer } = sharedFauxqs();

// Every SQS call is an HTTP request to the emulator (about 10 ms each on a
// busy machine), and the suite awaits some of them one by one (400 acks):
// the cases need more than vitest's default 5 s here. No time is asserted.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

describeDriverConformance('sqs', {
  create: async () => makeDriver((await server()).endpoint),
  queueOptions: { visibility_timeout: 5, wait_time: 2, header_overflow: 'pack' },
  destroyQueue: async (name) => deleteQueue((await server()).endpoint, name),
  releasesToHead: false,
  publishBeforeStart: false,
  // A standard queue promises no order. The driver hands out concurrent
  // receives in the order they were issued, but waits for a slow earlier
  // one only briefly: on a loaded machine a backlog can come out shuffled.
  ordered: false,
});

afterAll(() => stopServer());
