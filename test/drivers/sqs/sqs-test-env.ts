import { DeleteQueueCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SqsDriver, type SqsDriverDeps } from '../../../src/drivers/sqs/sqs-driver.ts';
import { sqsDriverSchema } from '../../../src/drivers/sqs/sqs-kind.ts';
import { parkedQueueName } from '../../../src/drivers/sqs/sqs-queues.ts';
import { startFauxqs, type FauxqsServer } from '../../support/fauxqs-server.ts';

/** Credentials the emulator accepts (it checks none); tests also use them to prove they never leak. */
export const TEST_KEY_ID = 'AKIATESTKEYID0000001';
export const TEST_SECRET = 'test-secret-that-must-never-be-printed';

/**
 * One fauxqs per test file, started on first use: `server()` resolves it,
 * `stopServer()` (in an `afterAll`) ends it.
 */
export function sharedFauxqs(): { server(): Promise<FauxqsServer>; stopServer(): Promise<void> } {
  let started: Promise<FauxqsServer> | undefined;
  return {
    server: () => (started ??= startFauxqs()),
    async stopServer() {
      if (started) await (await started).stop();
    },
  };
}

/** Driver fields for the emulator at `endpoint`, with `extra` on top. */
export function driverOptions(endpoint: string, extra: Record<string, unknown> = {}) {
  return sqsDriverSchema.parse({
    region: 'us-east-1',
    endpoint,
    access_key_id: TEST_KEY_ID,
    secret_access_key: TEST_SECRET,
    reconnect_delay: '50ms',
    reconnect_max_delay: '500ms',
    ...extra,
  });
}

/** A not yet started driver on the emulator at `endpoint`. */
export function makeDriver(endpoint: string, extra: Record<string, unknown> = {}, id = 'test:sqs', deps: SqsDriverDeps = {}): SqsDriver {
  return new SqsDriver(id, driverOptions(endpoint, extra), deps);
}

/** A plain SDK client on the emulator, as another program would use it. Call `destroy()` when done. */
export function plainClient(endpoint: string): SQSClient {
  return new SQSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET } });
}

/** Deletes a queue and its parked queue, if they exist. */
export async function deleteQueue(endpoint: string, name: string): Promise<void> {
  const client = plainClient(endpoint);
  try {
    for (const n of [name, parkedQueueName(name)]) {
      const url = await client.send(new GetQueueUrlCommand({ QueueName: n })).then((r) => r.QueueUrl, () => undefined);
      if (url) await client.send(new DeleteQueueCommand({ QueueUrl: url }));
    }
  } finally {
    client.destroy();
  }
}

/** The URL of an existing queue. */
export async function queueUrl(client: SQSClient, name: string): Promise<string> {
  return (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
}
