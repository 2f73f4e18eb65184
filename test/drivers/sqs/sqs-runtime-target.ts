import type { RuntimeTarget } from '../../model/runtime-targets.ts';
import { startFauxqs } from '../../support/fauxqs-server.ts';
import { deleteQueue, TEST_KEY_ID, TEST_SECRET } from './sqs-test-env.ts';

/**
 * The SQS backend for the model-based and property suites
 * (`test/model/runtime-targets.ts`): a private fauxqs for the test file,
 * started by this call, and the driver entry's YAML lines for it. The
 * emulator ends with the test process. Short visibility and long-poll
 * times: a receive abandoned at a stop (see `docs/sqs-driver.md`) hides
 * its messages for a visibility timeout, and the suites wait seconds, not
 * half a minute, for quiescence.
 *
 * @example
 * ```ts
 * const targets = [...others, await sqsRuntimeTarget()]
 * ```
 */
export async function sqsRuntimeTarget(): Promise<RuntimeTarget> {
  const server = await startFauxqs();
  return {
    name: 'sqs',
    driverFields: () =>
      `kind: queue.driver.sqs\n    region: us-east-1\n    endpoint: ${server.endpoint}\n    access_key_id: ${TEST_KEY_ID}\n    secret_access_key: ${TEST_SECRET}\n    reconnect_delay: 50ms\n    visibility_timeout: 3\n    wait_time_seconds: 1`,
    cleanup: async (_run, names) => {
      for (const n of names) await deleteQueue(server.endpoint, n).catch(() => {});
    },
  };
}
