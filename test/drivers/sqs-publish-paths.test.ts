import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SqsDriver } from '../../src/drivers/sqs/sqs-driver.ts';
import type { SqsSend } from '../../src/drivers/sqs/sqs-connection.ts';
import type { Message } from '../../src/message/message.ts';
import { MAX_DELAY_MS } from '../../src/message/delay.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { InvalidMessageError } from '../../src/errors/message-errors.ts';
import { NotFoundError } from '../../src/errors/not-found-error.ts';
import { AbortedError, PublishRejectedError } from '../../src/errors/lifecycle-errors.ts';
import { isQueueNameTaken } from '../../src/drivers/sqs/sqs-errors.ts';
import { uniqueQueueName } from './conformance-helpers.ts';
import { deleteQueue, driverOptions, makeDriver, plainClient, queueUrl, sharedFauxqs } from './sqs/sqs-test-env.ts';

/*
 * The edges of an SQS publish and of resolving a queue that the other SQS
 * tests leave out: a batch split by bytes as well as by count, a queue
 * deleted behind the driver's back, delays and signals refused before
 * anything is stored, and a queue SQS refuses to create. All against a
 * real SQS API server (fauxqs); where a test needs to see or time the
 * driver's calls it wraps the driver's `send`, and every call still goes
 * to the server.
 */
const { server, stopServer } = sharedFauxqs();
const made: string[] = [];
const drivers: SqsDriver[] = [];
let endpoint: string;
let client: SQSClient;

beforeAll(async () => {
  endpoint = (await server()).endpoint;
  client = plainClient(endpoint);
});

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop().catch(() => {});
}, 30_000);

afterAll(async () => {
  for (const q of made) await deleteQueue(endpoint, q).catch(() => {});
  client.destroy();
  await stopServer();
}, 30_000);

function queueName(label: string): string {
  const name = uniqueQueueName(label);
  made.push(name);
  return name;
}

async function started(driver: SqsDriver): Promise<SqsDriver> {
  drivers.push(driver);
  await driver.start();
  return driver;
}

/** A started driver with `name` declared on it. */
async function driverWith(name: string): Promise<SqsDriver> {
  const d = await started(makeDriver(endpoint));
  await d.declare({ id: `s:${name}`, name, options: { wait_time: 0 } });
  return d;
}

const msg = (id: string, body: unknown = id): Message => ({ id, body, headers: {} });

/** Messages stored on a queue, delayed ones included. */
async function stored(name: string): Promise<number> {
  const r = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: await queueUrl(client, name),
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return Object.values(r.Attributes ?? {}).reduce((n, v) => n + Number(v), 0);
}

/** The actorq IDs of every message on a queue, in the order received. */
async function receiveIds(name: string, count: number): Promise<string[]> {
  const url = await queueUrl(client, name);
  const ids: string[] = [];
  for (let empty = 0; ids.length < count && empty < 3; ) {
    const r = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    const got = r.Messages ?? [];
    if (got.length === 0) empty++;
    for (const m of got) ids.push(m.MessageAttributes?.['actorq.id']?.StringValue ?? '?');
  }
  return ids;
}

interface BatchCall {
  readonly entries: number;
  readonly bytes: number;
}

/** Replaces the driver's `send` with one that records each SendMessageBatch and calls `after` once it is answered. */
function watchBatches(d: SqsDriver, after: (call: BatchCall) => void = () => {}): BatchCall[] {
  const calls: BatchCall[] = [];
  const send = d.connection.send;
  d.connection.send = (async (command: { constructor: { name: string }; input: { Entries?: { MessageBody?: string }[] } }, options?: unknown) => {
    const result = await (send as unknown as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
    if (command.constructor.name === 'SendMessageBatchCommand') {
      const entries = command.input.Entries ?? [];
      const call = { entries: entries.length, bytes: entries.reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? ''), 0) };
      calls.push(call);
      after(call);
    }
    return result;
  }) as unknown as SqsSend;
  return calls;
}

describe('sqs publish: batches split by size', { timeout: 60_000 }, () => {
  it('messages of 100 KiB (1.2 MiB together) go out in batches of at most 256 KiB and arrive complete and in order', async () => {
    const name = queueName('sqspubbytes');
    const d = await driverWith(name);
    const calls = watchBatches(d);
    const ids = Array.from({ length: 12 }, (_, i) => `big-${i}`);
    await d.publish(
      name,
      ids.map((id) => msg(id, id.padEnd(100 * 1024, '.'))),
    );
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.reduce((n, c) => n + c.entries, 0)).toBe(12);
    for (const c of calls) expect(c.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(await receiveIds(name, 12)).toEqual(ids);
  });

  it('a message over 256 KiB goes alone, first or between others; all are stored, in order', async () => {
    const name = queueName('sqspubhuge');
    const d = await driverWith(name);
    const huge = (id: string) => msg(id, id.padEnd(300 * 1024, '.'));
    await d.publish(name, [huge('huge-1'), msg('small-1'), huge('huge-2'), msg('small-2')]);
    expect(await receiveIds(name, 4)).toEqual(['huge-1', 'small-1', 'huge-2', 'small-2']);
  });
});

describe('sqs publish: refused before anything is stored', { timeout: 30_000 }, () => {
  it.each([
    ['a negative delay', -1],
    ['a NaN delay', Number.NaN],
    ['an infinite delay', Number.POSITIVE_INFINITY],
    ['a delay over the maximum', MAX_DELAY_MS + 1],
    ['a delay that is not a number', '5' as unknown as number],
  ])('%s is InvalidMessageError naming the queue; the queue stays empty', async (_what, delayMs) => {
    const name = queueName('sqspubdelay');
    const d = await driverWith(name);
    for (const messages of [[msg('one')], [msg('a'), msg('b')]]) {
      const error = await d.publish(name, messages, { delayMs }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidMessageError);
      expect((error as Error).message).toContain(`publish to ${name}: delay must be 0 to ${MAX_DELAY_MS} ms`);
    }
    expect(await stored(name)).toBe(0);
  });

  it('a signal aborted before the publish is AbortedError with its reason; nothing is stored', async () => {
    const name = queueName('sqspubabort');
    const d = await driverWith(name);
    const ac = new AbortController();
    ac.abort(new Error('caller gave up'));
    for (const messages of [[msg('one')], [msg('a'), msg('b'), msg('c')]]) {
      const error = await d.publish(name, messages, { signal: ac.signal }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AbortedError);
      expect((error as Error).message).toContain(`publish to ${name} aborted`);
      expect((error as Error).cause).toBe(ac.signal.reason);
    }
    expect(await stored(name)).toBe(0);
  });

  it('a signal aborted between batches stops the publish: the batch already sent stays stored, the rest is never sent', async () => {
    const name = queueName('sqspubabortmid');
    const d = await driverWith(name);
    const ac = new AbortController();
    const calls = watchBatches(d, () => ac.abort());
    const ids = Array.from({ length: 25 }, (_, i) => `m${i}`);
    const error = await d.publish(name, ids.map((id) => msg(id)), { signal: ac.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect(calls).toHaveLength(1);
    expect(await stored(name)).toBe(10);
    expect(await receiveIds(name, 10)).toEqual(ids.slice(0, 10));
  });
});

describe('sqs publish: refused by SQS', { timeout: 30_000 }, () => {
  /** A started driver on a queue that takes messages of at most 1 KiB. */
  async function smallQueue(label: string): Promise<{ d: SqsDriver; name: string }> {
    const name = queueName(label);
    await client.send(new CreateQueueCommand({ QueueName: name, Attributes: { MaximumMessageSize: '1024' } }));
    return { d: await driverWith(name), name };
  }

  it('a lone message SQS refuses is named, as in a batch', async () => {
    const { d, name } = await smallQueue('sqspublone');
    const error = await d.publish(name, [msg('too-big', 'x'.repeat(2000))]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect((error as Error).message).toMatch(new RegExp(`SQS refused 1 of 1 message\\(s\\) to ${name}: too-big \\([\\w.]+: `));
    expect(await stored(name)).toBe(0);
  });

  it('a refusal says how many messages after the refused batch were not sent; those before stay stored', async () => {
    const { d, name } = await smallQueue('sqspubafter');
    const ids = Array.from({ length: 25 }, (_, i) => `m${i}`);
    const messages = ids.map((id) => msg(id, id === 'm12' ? 'x'.repeat(2000) : id));
    const error = await d.publish(name, messages).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishRejectedError);
    // Batches of ten: m12 is refused in the second; the third (five) never goes.
    expect((error as Error).message).toContain(`SQS refused 1 of 25 message(s) to ${name}: m12 (`);
    expect((error as Error).message).toMatch(/; the 5 message\(s\) after them were not sent$/);
    expect(await stored(name)).toBe(19);
  });

  it('a queue name taken by another process is recognised in the code AWS sends and in the prefixed code other servers send', () => {
    expect(isQueueNameTaken({ name: 'QueueNameExists' })).toBe(true);
    expect(isQueueNameTaken({ name: 'QueueAlreadyExists' })).toBe(true);
    // fauxqs 1.9.2, passed on by the SDK as it is.
    expect(isQueueNameTaken({ name: 'AWS.SimpleQueueService.QueueNameExists' })).toBe(true);
    expect(isQueueNameTaken({ name: 'QueueDoesNotExist' })).toBe(false);
  });
});

describe('sqs publish: a queue deleted behind the driver', { timeout: 30_000 }, () => {
  it('a publish of one message or of a batch is NotFoundError naming the queue', async () => {
    const name = queueName('sqspubgone');
    const d = await driverWith(name);
    await client.send(new DeleteQueueCommand({ QueueUrl: await queueUrl(client, name) }));
    for (const messages of [[msg('one')], [msg('a'), msg('b')]]) {
      const error = await d.publish(name, messages).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ what: 'queue', ref: name });
      expect((error as Error).message).toContain('not on SQS');
    }
  });
});

describe('sqs queue resolution', { timeout: 30_000 }, () => {
  it('bad queue options are refused as such before any call, not taken for an unreachable endpoint', async () => {
    const d = await started(makeDriver(endpoint));
    const name = queueName('sqsbadopts');
    const error = await d.declare({ id: 's:bad', name, options: { visibility_timeout: -4 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZodError);
    expect((error as ZodError).issues[0]!.path).toEqual(['visibility_timeout']);
    expect(d.queues.get(name)).toBeUndefined();
  });

  it('a queue SQS refuses to create is a ConfigError naming the entry, queue_name, the queue and the SQS code', async () => {
    const name = queueName('sqsrefused');
    // Out of SQS's range (60 s to 14 days); the config schema would stop it, SQS refuses it too.
    const d = await started(new SqsDriver('test:sqs', { ...driverOptions(endpoint), message_retention_period: 30 }));
    const error = await d.declare({ id: 's:refused', name, options: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ entryId: 's:refused', field: 'queue_name' });
    expect(issues[0]!.message).toMatch(new RegExp(`^SQS refused to create queue "${name}": \\S*InvalidAttributeValue: `));
    expect(d.queues.get(name)).toBeUndefined();
  });
});
