import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { changeVisibility, sendCopies, type SettleHost } from '../../src/drivers/sqs/sqs-settle-calls.ts';
import type { SqsSend } from '../../src/drivers/sqs/sqs-connection.ts';
import { PublishRejectedError } from '../../src/errors/lifecycle-errors.ts';
import type { Logger } from '../../src/util/logger.ts';
import { uniqueQueueName } from './conformance-helpers.ts';
import { deleteQueue, plainClient, sharedFauxqs } from './sqs/sqs-test-env.ts';

/*
 * The batch calls behind acks, visibility changes and copies, where SQS
 * answers a batch in part: entries it refuses as the caller's fault, and
 * entries it fails on its side. Refusals come from a real SQS API server
 * (fauxqs); failures on the server's side, which fauxqs never produces,
 * from a scripted `send` that answers like SQS does.
 */
const { server, stopServer } = sharedFauxqs();

/** A logger that keeps what it is given, by level. */
function keptLog() {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

/** A host whose calls go straight to `send`, once each (no endpoint to wait for). */
function hostOf(send: SqsSend, logger: Logger): SettleHost {
  return { driverId: 'test:sqs', logger, settle: (op) => op(send) };
}

describe('sqs batch calls answered in part', { timeout: 30_000 }, () => {
  let client: SQSClient;
  let endpoint: string;
  const queues: string[] = [];
  beforeAll(async () => {
    endpoint = (await server()).endpoint;
    client = plainClient(endpoint);
  });
  afterAll(async () => {
    for (const q of queues) await deleteQueue(endpoint, q).catch(() => {});
    client.destroy();
    await stopServer();
  });
  async function queue(): Promise<{ name: string; url: string }> {
    const name = uniqueQueueName('sqssettle');
    queues.push(name);
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }));
    return { name, url: QueueUrl! };
  }
  const send = ((command: Parameters<SqsSend>[0]) => client.send(command)) as SqsSend;

  it('copies SQS refuses reject the call, naming how many and why; the others are stored', async () => {
    const q = await queue();
    const log = keptLog();
    const copies = [{ Id: '', MessageBody: '"good"' }, { Id: '', MessageBody: '"bad\u0000"' }];
    const error = await sendCopies(hostOf(send, log.logger), q.url, q.name, copies).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect((error as Error).message).toMatch(new RegExp(`SQS refused 1 copy\\(s\\) to ${q.name}: InvalidMessageContents`));
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(['"good"']);
  });

  it('a visibility change SQS refuses for one receipt is skipped and logged; the others take effect', async () => {
    const q = await queue();
    await sendCopies(hostOf(send, keptLog().logger), q.url, q.name, [{ Id: '', MessageBody: '"m"' }]);
    const first = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, VisibilityTimeout: 30 }));
    const handle = first.Messages![0]!.ReceiptHandle!;
    const log = keptLog();
    await changeVisibility(hostOf(send, log.logger), q.url, q.name, [
      { handle: 'no-such-receipt', seconds: 0 },
      { handle, seconds: 0 },
    ]);
    expect(log.lines).toContainEqual({ level: 'debug', message: 'sqs visibility change skipped' });
    // Skipped, not tried again: the caller's fault does not go away.
    expect(log.lines.filter((l) => l.level !== 'debug')).toEqual([]);
    // Given back (visibility 0): received again at once, not after 30 s.
    const again = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 1, WaitTimeSeconds: 2 }));
    expect(again.Messages?.map((m) => m.Body)).toEqual(['"m"']);
  });
});

describe('sqs batch calls: entries SQS fails on its side', () => {
  /**
   * A `send` that answers each batch call as SQS does, failing (on the
   * server's side) the entries `fails` picks for that call; it records the
   * IDs each call carried.
   */
  function scripted(fails: (call: number, ids: string[]) => string[]) {
    const calls: string[][] = [];
    const send = (async (command: { input: { Entries?: { Id?: string }[] } }) => {
      const ids = (command.input.Entries ?? []).map((e) => e.Id!);
      calls.push(ids);
      const failed = new Set(fails(calls.length, ids));
      return {
        Successful: ids.filter((id) => !failed.has(id)).map((Id) => ({ Id })),
        Failed: [...failed].map((Id) => ({ Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
      };
    }) as unknown as SqsSend;
    return { send, calls };
  }
  const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: '', MessageBody: `"${i}"` }));

  it('sends them again, alone, until SQS takes them', async () => {
    const { send, calls } = scripted((call) => (call <= 2 ? ['3'] : []));
    await sendCopies(hostOf(send, keptLog().logger), 'url', 'q', entries(5));
    expect(calls).toEqual([['0', '1', '2', '3', '4'], ['3'], ['3']]);
  });

  it('batches of ten, numbered within each batch', async () => {
    const { send, calls } = scripted(() => []);
    await sendCopies(hostOf(send, keptLog().logger), 'url', 'q', entries(23));
    expect(calls.map((ids) => ids.length)).toEqual([10, 10, 3]);
    expect(calls[2]).toEqual(['0', '1', '2']);
  });

  it('gives up after five tries: copies reject, visibility changes log an error and resolve', async () => {
    const always = scripted((_call, ids) => ids.slice(0, 1));
    const error = await sendCopies(hostOf(always.send, keptLog().logger), 'url', 'q', entries(2)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect((error as Error).message).toBe('driver test:sqs: SQS failed 1 copy(s) on q 5 times');
    expect(always.calls).toHaveLength(5);

    const again = scripted((_call, ids) => ids.slice(0, 1));
    const log = keptLog();
    await changeVisibility(hostOf(again.send, log.logger), 'url', 'q', [{ handle: 'h', seconds: 0 }]);
    expect(again.calls).toHaveLength(5);
    expect(log.lines).toContainEqual({ level: 'error', message: 'driver test:sqs: SQS failed 1 visibility change(s) on q 5 times; given up' });
  });
});
