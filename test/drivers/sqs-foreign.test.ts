import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SqsDriver } from '../../src/drivers/sqs/sqs-driver.ts';
import type { Delivery } from '../../src/drivers/driver.ts';
import { parkedQueueName } from '../../src/drivers/sqs/sqs-queues.ts';
import type { LogFields } from '../../src/util/logger.ts';
import { collect, eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { deleteQueue, makeDriver, plainClient, queueUrl, sharedFauxqs } from './sqs/sqs-test-env.ts';

/*
 * Foreign data: messages another program put on the queue that are not
 * actorq messages (not JSON, JSON null or empty) are never handed to a
 * handler, never dropped and never looped: a copy goes to the dead-letter
 * queue (same driver) or the parked queue, then the original is deleted;
 * an error log names the queue and the message ID.
 */
const { server, stopServer } = sharedFauxqs();
let driver: SqsDriver;
let sdk: SQSClient;
const logs: { level: string; message: string; fields: LogFields }[] = [];
const made: string[] = [];
const log = (level: string) => (message: string, fields: LogFields = {}) => void logs.push({ level, message, fields });

beforeAll(async () => {
  const { endpoint } = await server();
  driver = makeDriver(endpoint, {}, 'test:sqs', { logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } });
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

async function declare(deadLetterName?: string): Promise<{ name: string; id: string; url: string }> {
  const name = uniqueQueueName('sqsforeign');
  made.push(name);
  const id = `test:${name}`;
  await driver.declare({ id, name, options: { wait_time: 1, visibility_timeout: 2 }, ...(deadLetterName ? { deadLetterName } : {}) });
  return { name, id, url: await queueUrl(sdk, name) };
}

const sendRaw = async (url: string, body: string, attributes = {}) => (await sdk.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes: attributes }))).MessageId!;

/** Everything a consumption delivers from now until `ms` of quiet after `count` arrived. */
async function drain(name: string, count: number): Promise<Delivery[]> {
  const c = driver.consume(name, { consumerId: 'drain', maxUnsettled: 20 });
  const rec = record(c);
  c.request(20);
  await eventually(() => rec.items.length >= count, 10_000, `${count} deliveries from ${name}`);
  await sleep(300);
  const items = rec.stop();
  for (const d of items) await c.ack(d);
  await c.cancel();
  return items;
}

describe('sqs foreign messages', { timeout: 30_000 }, () => {
  it('are parked, not delivered: the copy keeps body text, ID and attributes, with the reason; info counts it; the error names queue and message', async () => {
    const q = await declare();
    const badId = await sendRaw(q.url, 'not json at all', { source: { DataType: 'String', StringValue: 'legacy' } });
    const nullId = await sendRaw(q.url, 'null');
    await driver.publish(q.name, [{ id: 'good', body: { ok: true }, headers: {} }]);
    const got = await drain(q.name, 1);
    expect(got.map((d) => d.id)).toEqual(['good']);
    await eventually(async () => (await driver.info(q.name)).parked === 2, 10_000, 'two parked');
    await eventually(async () => (await driver.info(q.name)).message_count === 0, 10_000, 'source queue empty');

    // The parked queue holds actorq messages a dead-letter consumer can read.
    await driver.declare({ id: 'test:parked', name: parkedQueueName(q.name), options: { wait_time: 1 } });
    const parked = await drain(parkedQueueName(q.name), 2);
    const bad = parked.find((d) => d.id === badId)!;
    expect(bad.body).toBe('not json at all');
    expect(bad.headers).toMatchObject({ source: 'legacy', x_original_queue: q.id });
    expect(String(bad.headers['x_dead_letter_reason'])).toMatch(/^undecodable: body is not valid JSON/);
    expect(parked.find((d) => d.id === nullId)!.headers['x_dead_letter_reason']).toBe('undecodable: body is JSON null, which publish refuses');

    const lines = logs.filter((l) => l.level === 'error' && l.fields['message_id'] === badId);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toContain(q.id);
    expect(lines[0]!.message).toContain('parked');
  });

  it('go to the dead-letter queue when it is on the same driver', async () => {
    const dlq = await declare();
    const q = await declare(dlq.name);
    const id = await sendRaw(q.url, '{}');
    await driver.publish(q.name, [{ id: 'good', body: 1, headers: {} }]);
    expect((await drain(q.name, 1)).map((d) => d.id)).toEqual(['good']);
    const [dead] = await drain(dlq.name, 1);
    expect(dead!.id).toBe(id);
    expect(dead!.body).toBe('{}');
    expect(dead!.headers).toMatchObject({ x_original_queue: q.id, x_dead_letter_reason: 'undecodable: body is an empty object, which publish refuses' });
    expect((await driver.info(q.name)).parked).toBeUndefined();
  });

  it('are never lost when the copy fails: the original stays, and moves once the target works again', async () => {
    const dlq = await declare();
    const q = await declare(dlq.name);
    // The dead-letter queue disappears behind the driver's back.
    await sdk.send(new DeleteQueueCommand({ QueueUrl: dlq.url }));
    const id = await sendRaw(q.url, '<xml/>');
    const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 5 });
    const rec = record(c);
    c.request(5);
    await eventually(() => logs.some((l) => l.fields['message_id'] === id && l.message.includes('could not be set aside')), 10_000, 'the failed set-aside');
    // Still on the source queue (hidden until its visibility timeout ends), never delivered.
    const info = await driver.info(q.name);
    expect(info.message_count).toBe(1);
    expect(rec.items).toHaveLength(0);
    await sdk.send(new CreateQueueCommand({ QueueName: dlq.name }));
    await eventually(async () => (await driver.info(q.name)).message_count === 0, 15_000, 'moved after the visibility timeout');
    expect(rec.stop()).toHaveLength(0);
    await c.cancel();
    const [dead] = await drain(dlq.name, 1);
    expect(dead!.id).toBe(id);
  });
});

describe('sqs delays longer than 15 minutes', { timeout: 30_000 }, () => {
  it('a message received before its actorq.due goes back for the rest of the delay, never to a handler, attempts unchanged', async () => {
    const q = await declare();
    // What a delayed publish of more than 15 minutes looks like once its first 15 have passed, with 2 s left.
    const due = Date.now() + 2500;
    await sdk.send(
      new SendMessageCommand({
        QueueUrl: q.url,
        MessageBody: '"later"',
        MessageAttributes: { 'actorq.id': { DataType: 'String', StringValue: 'long' }, 'actorq.due': { DataType: 'Number', StringValue: String(due) } },
      }),
    );
    const c = driver.consume(q.name, { consumerId: 'c', maxUnsettled: 5 });
    const got = collect(c, 1, 15_000);
    c.request(5);
    const [d] = await got;
    expect(Date.now()).toBeGreaterThanOrEqual(due);
    expect(d!.id).toBe('long');
    expect(d!.body).toBe('later');
    expect(d!.headers['attempts']).toBeUndefined();
    await c.ack(d!);
    await c.cancel();
  });

  it('a delayed publish beyond 15 minutes is stored as 15 minutes plus its due time', async () => {
    const q = await declare();
    const before = Date.now();
    await driver.publish(q.name, [{ id: 'far', body: 1, headers: {} }], { delayMs: 3_600_000 });
    expect((await driver.info(q.name)).delayed).toBe(1);
    // The emulator's inspection endpoint shows what SQS stored (the SQS API never shows a delayed message).
    const stored = (await (await fetch(`${(await server()).endpoint}/_fauxqs/queues/${q.name}`)).json()) as {
      messages: { delayed: { delayUntil: number; sentTimestamp: number; messageAttributes: Record<string, { StringValue: string }> }[] };
    };
    const [m] = stored.messages.delayed;
    expect(m!.delayUntil - m!.sentTimestamp).toBe(900_000);
    const due = Number(m!.messageAttributes['actorq.due']!.StringValue);
    expect(due).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });
});
