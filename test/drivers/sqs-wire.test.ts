import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, SendMessageCommand, type Message as SqsMessage, type SQSClient } from '@aws-sdk/client-sqs';
import type { SqsDriver } from '../../src/drivers/sqs/sqs-driver.ts';
import type { SqsDelivery } from '../../src/drivers/sqs/sqs-delivery.ts';
import { InvalidMessageError } from '../../src/errors/message-errors.ts';
import { collect, eventually, uniqueQueueName } from './conformance-helpers.ts';
import { deleteQueue, makeDriver, plainClient, queueUrl, sharedFauxqs } from './sqs/sqs-test-env.ts';

/*
 * The wire format, checked from both sides with the plain AWS SDK as the
 * other program: what actorq writes is what Wippy's SQS driver writes
 * (body = JSON text, each header a typed message attribute), and what
 * Wippy writes reads back with its types.
 */
const { server, stopServer } = sharedFauxqs();
let driver: SqsDriver;
let sdk: SQSClient;
const made: string[] = [];

beforeAll(async () => {
  const { endpoint } = await server();
  driver = makeDriver(endpoint);
  sdk = plainClient(endpoint);
  await driver.start();
}, 30_000);

afterAll(async () => {
  await driver.stop();
  const { endpoint } = await server();
  for (const q of made) await deleteQueue(endpoint, q).catch(() => {});
  sdk.destroy();
  await stopServer();
}, 30_000);

async function declare(options: Record<string, unknown> = {}, suffix = ''): Promise<{ name: string; url: string }> {
  const name = uniqueQueueName('sqswire') + suffix;
  made.push(name);
  await driver.declare({ id: `test:${name}`, name, options: { wait_time: 1, visibility_timeout: 5, ...options } });
  return { name, url: await queueUrl(sdk, name) };
}

async function receiveRaw(url: string, max = 10): Promise<SqsMessage[]> {
  const r = await sdk.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: max, WaitTimeSeconds: 1, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
  );
  return r.Messages ?? [];
}

async function receiveOne(name: string): Promise<SqsDelivery> {
  const c = driver.consume(name, { consumerId: 'wire', maxUnsettled: 1 });
  const got = collect(c, 1);
  c.request(1);
  const [d] = await got;
  await c.ack(d!);
  await c.cancel();
  return d as SqsDelivery;
}

describe('sqs wire format: what actorq writes', () => {
  it('body is the JSON text; headers are typed attributes under their own names; the ID travels in actorq.id', async () => {
    const q = await declare();
    await driver.publish(q.name, [{ id: 'm-1', body: { task: 'x', n: [1, 2] }, headers: { timestamp: 1700000000, ratio: 1.5, urgent: true, quiet: false, source: 'billing', big: 1e21 } }]);
    const [m] = await receiveRaw(q.url);
    expect(m!.Body).toBe('{"task":"x","n":[1,2]}');
    expect(m!.MessageAttributes).toEqual({
      'actorq.id': { DataType: 'String', StringValue: 'm-1' },
      timestamp: { DataType: 'Number', StringValue: '1700000000' },
      ratio: { DataType: 'Number', StringValue: '1.5' },
      urgent: { DataType: 'String.bool', StringValue: 'true' },
      quiet: { DataType: 'String.bool', StringValue: 'false' },
      source: { DataType: 'String', StringValue: 'billing' },
      big: { DataType: 'Number', StringValue: '1000000000000000000000' },
    });
  });

  it('sqs.* headers steer SendMessage fields instead of becoming attributes', { timeout: 20_000 }, async () => {
    const q = await declare();
    await driver.publish(q.name, [{ id: 'd', body: 1, headers: { 'sqs.delay_seconds': 2 } }]);
    expect((await driver.info(q.name)).delayed).toBe(1);
    await expect(driver.publish(q.name, [{ id: 'x', body: 1, headers: { 'sqs.delay_seconds': 901 } }])).rejects.toThrow(/"sqs.delay_seconds" must be an integer from 0 to 900/);
    let got: SqsMessage[] = [];
    await eventually(async () => (got = await receiveRaw(q.url)).length === 1, 10_000, 'the delay to end');
    const [m] = got;
    expect(Object.keys(m!.MessageAttributes ?? {})).toEqual(['actorq.id']);
  });

  it('more than 10 attributes is INVALID_MESSAGE naming the limit; nothing is sent', async () => {
    const q = await declare();
    const headers = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`h${i}`, i]));
    const error = await driver.publish(q.name, [{ id: 'ok', body: 1, headers: { a: 1 } }, { id: 'big', body: 2, headers }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidMessageError);
    expect((error as Error).message).toContain('SQS carries at most 10');
    expect((error as Error).message).toContain('header_overflow: pack');
    expect((await driver.info(q.name)).message_count).toBe(0);
  });

  it('headers SQS cannot store under their name are refused by name', async () => {
    const q = await declare();
    for (const [key, value, why] of [
      ['has space', 'v', 'may only hold letters'],
      ['AWS.trace', 'v', 'AWS.'],
      ['empty', '', 'empty string'],
      ['ctl', 'a\u0001b', 'character SQS does not store'],
      ['actorq.id', 'forged', '"actorq." prefix'],
    ] as const) {
      const error = await driver.publish(q.name, [{ id: 'x', body: 1, headers: { [key]: value } }]).catch((e: unknown) => e);
      expect(error, key).toBeInstanceOf(InvalidMessageError);
      expect((error as Error).message, key).toContain(`header "${key}"`);
      expect((error as Error).message, key).toContain(why);
    }
  });

  it('header_overflow: pack keeps nine headers as attributes and the rest in actorq.headers, all read back', async () => {
    const q = await declare({ header_overflow: 'pack' });
    const headers: Record<string, string | number | boolean> = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`h${i}`, i]));
    headers['empty'] = '';
    headers['flag'] = true;
    await driver.publish(q.name, [{ id: 'p', body: 'packed', headers }]);
    const [raw] = await receiveRaw(q.url);
    expect(Object.keys(raw!.MessageAttributes!)).toHaveLength(10);
    expect(raw!.MessageAttributes!['h0']).toEqual({ DataType: 'Number', StringValue: '0' });
    expect(JSON.parse(raw!.MessageAttributes!['actorq.headers']!.StringValue!)).toMatchObject({ h11: 11, empty: '', flag: true });
    await sdk.send(new ChangeMessageVisibilityCommand({ QueueUrl: q.url, ReceiptHandle: raw!.ReceiptHandle, VisibilityTimeout: 0 }));
    const d = await receiveOne(q.name);
    expect(d.id).toBe('p');
    expect(d.headers).toMatchObject(headers);
  });

  it('a body with U+FFFF (which SQS refuses raw) or an emoji is stored escaped and reads back equal', async () => {
    const q = await declare();
    const body = { text: 'a\uFFFFb\uFFFE', emoji: '😀' };
    await driver.publish(q.name, [{ id: 'u', body, headers: {} }]);
    expect((await receiveOne(q.name)).body).toEqual(body);
  });
});

describe('sqs wire format: what Wippy (or any program) writes', () => {
  it('typed attributes read back with their types; the SQS MessageId is the ID; Binary becomes text or base64', async () => {
    const q = await declare();
    const sent = await sdk.send(
      new SendMessageCommand({
        QueueUrl: q.url,
        MessageBody: '{"id":"task-123","action":"process"}',
        MessageAttributes: {
          timestamp: { DataType: 'Number', StringValue: '1700000000' },
          ratio: { DataType: 'Number', StringValue: '0.25' },
          notanumber: { DataType: 'Number', StringValue: 'abc' },
          retry: { DataType: 'String.bool', StringValue: 'true' },
          correlation_id: { DataType: 'String', StringValue: 'c-9' },
          custom: { DataType: 'String.custom', StringValue: 'kept' },
          text: { DataType: 'Binary', BinaryValue: Buffer.from('héllo') },
          bytes: { DataType: 'Binary', BinaryValue: Buffer.from([0xff, 0x00, 0x01]) },
          attempts: { DataType: 'Number', StringValue: '-5' },
        },
      }),
    );
    const d = await receiveOne(q.name);
    expect(d.id).toBe(sent.MessageId);
    expect(d.body).toEqual({ id: 'task-123', action: 'process' });
    expect(d.headers).toEqual({
      timestamp: 1700000000,
      ratio: 0.25,
      notanumber: 'abc',
      retry: true,
      correlation_id: 'c-9',
      custom: 'kept',
      text: 'héllo',
      bytes: Buffer.from([0xff, 0x00, 0x01]).toString('base64'),
      // A forged negative count counts as none.
    });
  });

  it('a message another consumer gave back (visibility 0) arrives with attempts from the receive count', async () => {
    const q = await declare();
    await sdk.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: '"again"' }));
    const [m] = await receiveRaw(q.url, 1);
    await sdk.send(new ChangeMessageVisibilityCommand({ QueueUrl: q.url, ReceiptHandle: m!.ReceiptHandle, VisibilityTimeout: 0 }));
    const d = await receiveOne(q.name);
    expect(d.body).toBe('again');
    expect(d.headers['attempts']).toBe(1);
  });

  it('a plain-text body decodes as a string when content_type is text/*', async () => {
    const q = await declare();
    await sdk.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'hello there', MessageAttributes: { content_type: { DataType: 'String', StringValue: 'text/plain' } } }));
    const d = await receiveOne(q.name);
    expect(d.body).toBe('hello there');
  });
});

describe('sqs attempts and requeues', () => {
  it('a nack is a visibility change: same SQS message (no republish), attempts from the receive count', async () => {
    const q = await declare();
    await driver.publish(q.name, [{ id: 'r', body: 'x', headers: { k: 'v' } }]);
    const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 1 });
    const first = collect(c, 1);
    c.request(1);
    const [d1] = (await first) as SqsDelivery[];
    const second = collect(c, 1);
    await c.requeue(d1!, { k: 'v', attempts: 1 });
    c.request(1);
    const [d2] = (await second) as SqsDelivery[];
    expect(d2!.raw.MessageId).toBe(d1!.raw.MessageId);
    expect(d2!.headers).toEqual({ k: 'v', attempts: 1 });
    const third = collect(c, 1);
    // Other headers: a copy (new SQS message, same actorq ID) carrying its attempts.
    await c.requeue(d2!, { k: 'changed', attempts: 2 });
    c.request(1);
    const [d3] = (await third) as SqsDelivery[];
    expect(d3!.raw.MessageId).not.toBe(d1!.raw.MessageId);
    expect(d3!.id).toBe('r');
    expect(d3!.headers).toEqual({ k: 'changed', attempts: 2 });
    await c.ack(d3!);
    await c.cancel();
    await eventually(async () => (await driver.info(q.name)).message_count === 0, 10_000, 'queue empty');
  });
});

describe('sqs FIFO queues', () => {
  it('need a group ID; keep order within a group; honour deduplication IDs (the message ID by default)', async () => {
    const q = await declare({}, '.fifo');
    await expect(driver.publish(q.name, [{ id: 'x', body: 1, headers: {} }])).rejects.toThrow(/needs header "sqs.message_group_id"/);
    await expect(driver.publish(q.name, [{ id: 'x', body: 1, headers: { 'sqs.message_group_id': 'g' } }], { delayMs: 1000 })).rejects.toThrow(/no per-message delay/);
    const g = (group: string, n: number, extra: Record<string, string> = {}) => ({ id: `${group}-${n}`, body: { group, n }, headers: { 'sqs.message_group_id': group, ...extra } });
    await driver.publish(q.name, [g('a', 1), g('b', 1), g('a', 2), g('b', 2), g('a', 3)]);
    // The same message ID again, and an explicit deduplication ID twice: SQS keeps one of each.
    await driver.publish(q.name, [g('a', 1)]);
    await driver.publish(q.name, [g('b', 3, { 'sqs.message_deduplication_id': 'once' }), g('b', 4, { 'sqs.message_deduplication_id': 'once' })]);
    const c = driver.consume(q.name, { consumerId: 'fifo', maxUnsettled: 10 });
    const seen: SqsDelivery[] = [];
    c.deliveries.subscribe((batch) => {
      for (const d of batch as SqsDelivery[]) {
        seen.push(d);
        void c.ack(d);
        c.request(1);
      }
    });
    c.request(10);
    await eventually(() => seen.length >= 6, 20_000, '6 messages');
    await new Promise((r) => setTimeout(r, 1500));
    const of = (group: string) => seen.filter((d) => (d.body as { group: string }).group === group).map((d) => (d.body as { n: number }).n);
    expect(of('a')).toEqual([1, 2, 3]);
    expect(of('b')).toEqual([1, 2, 3]);
    expect(seen.find((d) => d.id === 'a-1')!.headers).toMatchObject({ 'sqs.message_group_id': 'a', 'sqs.message_deduplication_id': 'a-1' });
    await c.cancel();
  });
});
