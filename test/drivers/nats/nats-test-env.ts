import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { NatsDriver } from '../../../src/drivers/nats/nats-driver.ts';
import { natsDriverOptionsSchema } from '../../../src/drivers/nats/nats-options.ts';
import { defaultStreamName, parkedStreamName } from '../../../src/drivers/nats/nats-names.ts';

/** The NATS server every test talks to (JetStream on). */
export const NATS_URL = process.env['ACTORQ_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** A driver ID unique to this test. */
export function uniqueDriverId(label = 'nats'): string {
  return `test:${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A not yet started driver on the test server with fast reconnects, options overridable. */
export function makeDriver(overrides: Record<string, unknown> = {}, id = uniqueDriverId()): NatsDriver {
  const options = natsDriverOptionsSchema.parse({ servers: NATS_URL, reconnect_delay: 50, reconnect_max_delay: 500, ...overrides });
  return new NatsDriver(id, options);
}

/** A plain connection with JetStream handles, for assertions, raw publishes and cleanup. Close `nc` when done. */
export async function adminConnection(url = NATS_URL): Promise<{ nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager }> {
  const nc = await connect({ servers: url });
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };
}

/** Deletes a queue's stream (named from the queue) and its parked stream, ignoring missing ones. */
export async function destroyQueue(name: string, url = NATS_URL): Promise<void> {
  const { nc, jsm } = await adminConnection(url);
  try {
    const stream = defaultStreamName(name);
    for (const s of [stream, parkedStreamName(stream)]) await jsm.streams.delete(s).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/**
 * The runtime target of the model-based and property suites for NATS (the
 * shape of `RuntimeTarget` in `test/model/runtime-targets.ts`): each run's
 * queues get their own streams, deleted afterwards.
 */
export const natsRuntimeTarget = {
  name: 'nats',
  driverFields: (): string => `kind: queue.driver.nats\n    servers: ${NATS_URL}\n    reconnect_delay: 50ms`,
  cleanup: async (_run: string, queueNames: readonly string[]): Promise<void> => {
    for (const n of queueNames) await destroyQueue(n).catch(() => undefined);
  },
};
