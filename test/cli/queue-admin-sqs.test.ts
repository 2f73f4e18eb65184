import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { startFauxqs } from '../support/fauxqs-server.ts';
import { deleteQueue, makeDriver, plainClient, queueUrl, TEST_KEY_ID, TEST_SECRET } from '../drivers/sqs/sqs-test-env.ts';
import { main } from '../../src/cli/main.ts';
import { eventually, uniqueQueueName } from '../drivers/conformance-helpers.ts';
import { describeQueueAdmin, ids, msg, type AdminTarget } from './queue-admin-suite.ts';
import type { SqsDriver } from '../../src/drivers/sqs/sqs-driver.ts';
import { sqsAdmin, SQS_ADMIN_TUNING, type SqsAdminHost, type SqsAdminTuning } from '../../src/drivers/sqs/sqs-admin.ts';
import { isQueueMissing } from '../../src/drivers/sqs/sqs-errors.ts';
import { NotFoundError } from '../../src/errors/not-found-error.ts';
import { silentLogger } from '../../src/util/logger.ts';

// The SQS driver's admin tools against a real SQS API server (fauxqs on a
// private loopback port, one for this file). Short receive settings keep
// the consumers' long polls from outliving a case by much.
const fauxqs = await startFauxqs();
const endpoint = fauxqs.endpoint;
const fast = { wait_time_seconds: 1, visibility_timeout: 5 };
afterAll(() => fauxqs.stop());

// `returnsInPlace: false`: a message a peek hands back does not keep its
// place on SQS (no order on a standard queue; fauxqs appends it at the tail).
const sqsTarget = {
  label: 'sqs',
  create: () => makeDriver(endpoint, fast, 'test:sqs-admin'),
  destroy: async (names) => {
    for (const n of names) await deleteQueue(endpoint, n);
  },
  storeForeign: async (queue, text) => {
    const client = plainClient(endpoint);
    try {
      await client.send(new SendMessageCommand({ QueueUrl: await queueUrl(client, queue), MessageBody: text }));
    } finally {
      client.destroy();
    }
  },
  canGoMidVisit: false,
  returnsInPlace: false,
} satisfies AdminTarget & { readonly returnsInPlace?: boolean };
describeQueueAdmin(sqsTarget);

describe('sqs admin: what SQS adds', { timeout: 30_000 }, () => {
  let driver: SqsDriver;
  const client = plainClient(endpoint);
  const made: string[] = [];
  const declare = async (): Promise<{ name: string; url: string }> => {
    const name = uniqueQueueName('admin-sqs');
    made.push(name);
    await driver.declare({ id: `test:q${made.length}`, name, options: {} });
    return { name, url: await queueUrl(client, name) };
  };
  /** The driver's admin with other settings (a host like the driver's, without its waits for outages). */
  const tunedAdmin = (tuning: Partial<SqsAdminTuning>) => {
    const host: SqsAdminHost = {
      driverId: driver.id,
      logger: silentLogger,
      queues: driver.queues,
      call: (op, queueName) =>
        op(driver.connection.send).catch((e: unknown) => {
          throw isQueueMissing(e) ? new NotFoundError('queue', queueName, 'not on SQS') : e;
        }),
    };
    return sqsAdmin(host, { ...SQS_ADMIN_TUNING, ...tuning });
  };
  /** Receives like another program would, holding the messages for `seconds`. */
  const rawReceive = async (url: string, max: number, seconds: number) =>
    (await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: max, VisibilityTimeout: seconds, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }))).Messages ?? [];

  beforeAll(async () => {
    driver = makeDriver(endpoint, fast, 'test:sqs-admin-own');
    await driver.start();
  });
  afterAll(async () => {
    await driver.stop();
    for (const n of made) await deleteQueue(endpoint, n);
    client.destroy();
  });

  it('purge deletes ready messages only: one another program holds and a delayed one stay, and the held one comes back', async () => {
    const q = await declare();
    await driver.publish(q.name, [1, 2, 3].map(msg));
    await driver.publish(q.name, [msg(9)], { delayMs: 60_000 });
    const [inFlight] = await rawReceive(q.url, 1, 2);
    expect(inFlight).toBeDefined();
    expect(await driver.admin.purge(q.name)).toBe(2);
    const info = await driver.info(q.name);
    expect({ ready: info.ready, in_flight: info.in_flight, delayed: info.delayed }).toEqual({ ready: 0, in_flight: 1, delayed: 1 });
    // The held message was not deleted: it is visible again after its 2 s (fauxqs counts it ready only once a receive looks).
    const back = inFlight!.MessageAttributes?.['actorq.id']?.StringValue;
    let seen: string[] = [];
    await eventually(async () => (seen = ids(await driver.admin.peek(q.name, 10))).length > 0, 8000, 'the held message back');
    expect(seen).toEqual([back]);
  });

  it('peek reads neither held nor delayed messages, and each peek counts one receive (attempts)', async () => {
    const q = await declare();
    await driver.publish(q.name, [msg(1), msg(2)]);
    await driver.publish(q.name, [msg(3)], { delayMs: 60_000 });
    const [held] = await rawReceive(q.url, 1, 30);
    expect(held).toBeDefined();
    const first = await driver.admin.peek(q.name, 10);
    expect(first).toHaveLength(1);
    const attempts = (entries: typeof first) => (entries[0]?.kind === 'message' ? entries[0].message.headers['attempts'] : 'none');
    expect(attempts(first)).toBe(undefined);
    expect(attempts(await driver.admin.peek(q.name, 10))).toBe(1);
    expect(attempts(await driver.admin.peek(q.name, 10))).toBe(2);
    const info = await driver.info(q.name);
    expect({ ready: info.ready, in_flight: info.in_flight, delayed: info.delayed }).toEqual({ ready: 1, in_flight: 1, delayed: 1 });
  });

  it('a message still on its way through a long delay is sent on, neither shown nor purged', async () => {
    const q = await declare();
    // Visible now but due in 20 minutes: as a 15-minute step of a longer delay leaves it.
    await client.send(
      new SendMessageCommand({
        QueueUrl: q.url,
        MessageBody: '{"n":7}',
        MessageAttributes: { 'actorq.id': { DataType: 'String', StringValue: 'late' }, 'actorq.due': { DataType: 'Number', StringValue: String(Date.now() + 20 * 60_000) } },
      }),
    );
    await driver.publish(q.name, [msg(1)]);
    expect(ids(await driver.admin.peek(q.name, 10))).toEqual(['m1']);
    expect(await driver.admin.purge(q.name)).toBe(1);
    const info = await driver.info(q.name);
    expect({ ready: info.ready, in_flight: info.in_flight, delayed: info.delayed }).toEqual({ ready: 0, in_flight: 0, delayed: 1 });
  });

  it('a purge ends at a message sent after it began (a publisher faster than the purge cannot keep it going)', async () => {
    const q = await declare();
    await driver.publish(q.name, [1, 2, 3].map(msg));
    // A margin an hour before now makes every stored message look newer than the purge.
    expect(await tunedAdmin({ purgeSkewMs: -3_600_000 }).purge(q.name)).toBe(0);
    await eventually(async () => (await driver.info(q.name)).ready === 3, 5000, 'all three still there');
    expect(await driver.admin.purge(q.name)).toBe(3);
  });

  it('removeEach keeps what it visits hidden past the visibility timeout, so no one else takes it', async () => {
    const q = await declare();
    await driver.publish(q.name, [msg(1)]);
    const admin = tunedAdmin({ visibilitySeconds: 1 });
    let seenByOthers = -1;
    const result = await admin.removeEach(q.name, 10, async () => {
      await new Promise((r) => setTimeout(r, 2500));
      seenByOthers = (await rawReceive(q.url, 10, 30)).length;
      return 'remove';
    });
    expect(seenByOthers).toBe(0);
    expect(result).toEqual({ visited: 1, removed: 1, gone: 0 });
    expect((await driver.info(q.name)).ready + (await driver.info(q.name)).in_flight).toBe(0);
  });

  it('on a FIFO queue a peek hands each group back at its head, and purge empties every group', async () => {
    const name = `${uniqueQueueName('admin-sqs')}.fifo`;
    made.push(name);
    await driver.declare({ id: 'test:fifo', name, options: {} });
    const inGroup = (n: number, group: string) => ({ ...msg(n), headers: { 'sqs.message_group_id': group } });
    await driver.publish(name, [inGroup(1, 'a'), inGroup(2, 'b'), inGroup(3, 'a'), inGroup(4, 'b')]);
    const first = ids(await driver.admin.peek(name, 10));
    // SQS returns no more of a group while one of its messages is out: the heads of the groups.
    expect(first).toContain('m1');
    expect(first).toContain('m2');
    expect(ids(await driver.admin.peek(name, 10))).toEqual(first);
    expect(await driver.admin.purge(name)).toBe(4);
    expect((await driver.info(name)).ready).toBe(0);
  });

  it('a queue deleted on SQS behind the driver is NotFoundError for every tool', async () => {
    const q = await declare();
    await deleteQueue(endpoint, q.name);
    await expect(driver.admin.peek(q.name, 1)).rejects.toBeInstanceOf(NotFoundError);
    await expect(driver.admin.purge(q.name)).rejects.toBeInstanceOf(NotFoundError);
    await expect(driver.admin.removeEach(q.name, 1, async () => 'keep')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('actorq peek on sqs (no CLI change)', { timeout: 30_000 }, () => {
  it('prints the messages and says what taking them did on SQS', async () => {
    const name = uniqueQueueName('admin-sqs-cli');
    const dir = mkdtempSync(join(tmpdir(), 'actorq-sqs-peek-'));
    const config = join(dir, 'ops.yaml');
    writeFileSync(
      config,
      `namespace: app\nentries:\n  - { name: broker, kind: queue.driver.sqs, region: us-east-1, endpoint: "${endpoint}", access_key_id: ${TEST_KEY_ID}, secret_access_key: ${TEST_SECRET} }\n  - { name: tasks, kind: queue.queue, driver: app:broker, queue_name: ${name} }\n`,
    );
    let out = '';
    let err = '';
    const io = { out: (t: string) => void (out += `${t}\n`), err: (t: string) => void (err += `${t}\n`) };
    try {
      expect(await main(['publish', config, 'app:tasks', '{"n":1}'], io)).toBe(0);
      expect(await main(['peek', config, 'app:tasks', '-n', '5'], io)).toBe(0);
      expect(out).toMatch(/"body":\{"n":1\}/);
      expect(err).toContain("cannot read without taking: these messages were taken and handed back at once; SQS may deliver them in another order, and each one's receive count rose by one");
      expect(err).not.toContain('marked redelivered');
    } finally {
      await deleteQueue(endpoint, name);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
