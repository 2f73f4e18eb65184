import type { RuntimeTarget } from '../../model/runtime-targets.ts';
import { startFauxqs } from '../../support/fauxqs-server.ts';
import { deleteQueue, TEST_KEY_ID, TEST_SECRET } from './sqs-test-env.ts';

/**
 * The SQS backend for the model-based and property suites
 * (`test/model/runtime-targets.ts`): a private fauxqs, started by the
 * target's `prepare()` (once per test file, in the suites' `beforeAll`, so
 * files that only import the targets start nothing), and the driver
 * entry's YAML lines for it. The emulator ends with the test process.
 * Short visibility and long-poll times: a receive abandoned at a stop (see
 * `docs/sqs-driver.md`) hides its messages for a visibility timeout, and the
 * suites wait seconds, not half a minute, for quiescence.
 *
 * @example
 * ```ts
 * const targets = [...others, sqsRuntimeTarget()]
 * ```
 */
export function sqsRuntimeTarget(): RuntimeTarget {
  let server: Promise<{ readonly endpoint: string }> | undefined;
  let endpoint: string | undefined;
  return {
    name: 'sqs',
    prepare: async () => {
      server ??= startFauxqs();
      endpoint = (await server).endpoint;
    },
    driverFields: () => {
      if (endpoint === undefined) throw new Error('the sqs target was not prepared: call target.prepare() in beforeAll');
      return `kind: queue.driver.sqs\n    region: us-east-1\n    endpoint: ${endpoint}\n    access_key_id: ${TEST_KEY_ID}\n    secret_access_key: ${TEST_SECRET}\n    reconnect_delay: 50ms\n    visibility_timeout: 3\n    wait_time_seconds: 1`;
    },
    cleanup: async (_run, names) => {
      if (endpoint === undefined) return;
      for (const n of names) await deleteQueue(endpoint, n).catch(() => {});
    },
  };
}
