/**
 * SQS section of the benchmark: the actorq SQS driver against the
 * `sqs-consumer` library (`handleMessageBatch`, batchSize 10) on the same
 * emulator (a private fauxqs), in the same run, plus a raw SDK loop
 * (ReceiveMessage of 10, then DeleteMessageBatch) as the ceiling.
 *
 *   npx tsx test/bench/sqs-bench.ts [rounds]
 *
 * The emulator, not the client, is the limit here (every call is an HTTP
 * request it answers in a few ms), so rounds are small. Processing: the
 * queue is filled first (not timed), then drained; actorq goes through its
 * real consumer hot path (WorkerPool, concurrency 10, prefetch 100).
 * Publish: actorq's batch publish (what `publishBatch` hands the driver)
 * against raw SendMessageBatch of 10, one call at a time. `raw again` runs
 * the raw loop twice per round: `raw again / raw` is the harness's noise.
 */
import { CreateQueueCommand, DeleteMessageBatchCommand, DeleteQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { SqsDriver } from '../../src/drivers/sqs/sqs-driver.ts';
import { sqsDriverSchema } from '../../src/drivers/sqs/sqs-kind.ts';
import { startFauxqs } from '../support/fauxqs-server.ts';
import { compare, formatRate, pairedRatio, rate } from './bench-utils.ts';
import { drainWithPool } from './drain-with-pool.ts';

const COUNT = Number(process.env['SQS_BENCH_COUNT'] ?? 5000);
const CONCURRENCY = 10;
const PREFETCH = 100;
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

const messages = Array.from({ length: COUNT }, (_, i) => ({ id: `m${i}`, body: { n: i, task: 'x' }, headers: { timestamp: 1700000000 } }));
/** The same bodies as actorq writes them (JSON text), for the contenders that fill their queue raw. */
const bodies = messages.map((m) => JSON.stringify(m.body));

interface Bench {
  endpoint: string;
  client: SQSClient;
  driver: SqsDriver;
  queues: string[];
}

async function createQueue(b: Bench, name: string): Promise<string> {
  const url = (await b.client.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '30' } }))).QueueUrl!;
  b.queues.push(url);
  return url;
}

/** SendMessageBatch of 10, one call after another. */
async function sendRaw(client: SQSClient, url: string): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const Entries = bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody }));
    const out = await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries }));
    if (out.Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(out.Failed[0])}`);
  }
}

async function actorq(b: Bench, q: string): Promise<{ publish: number; process: number }> {
  await b.driver.declare({ id: `bench:${q}`, name: q, options: { visibility_timeout: 30, wait_time: 1 } });
  const publish = await rate(COUNT, () => b.driver.publish(q, messages));
  const processed = await rate(COUNT, () => drainWithPool(b.driver, q, COUNT, CONCURRENCY, PREFETCH));
  return { publish, process: processed };
}

async function sqsConsumer(b: Bench, q: string): Promise<number> {
  const url = await createQueue(b, q);
  await sendRaw(b.client, url);
  let consumer!: Consumer;
  const processed = await rate(COUNT, () => new Promise<void>((resolve, reject) => {
    let done = 0;
    consumer = Consumer.create({
      queueUrl: url,
      sqs: b.client,
      batchSize: 10,
      waitTimeSeconds: 1,
      handleMessageBatch: async (batch) => batch,
    });
    // Fired after DeleteMessageBatch, one event per message.
    consumer.on('message_processed', () => {
      if (++done === COUNT) resolve();
    });
    consumer.on('error', reject);
    consumer.on('processing_error', reject);
    consumer.start();
  }));
  consumer.stop();
  return processed;
}

/** The least any client can do: ReceiveMessage of 10, DeleteMessageBatch, one after another. */
async function raw(b: Bench, q: string): Promise<{ publish: number; process: number }> {
  const url = await createQueue(b, q);
  const publish = await rate(COUNT, () => sendRaw(b.client, url));
  const processed = await rate(COUNT, async () => {
    let done = 0;
    while (done < COUNT) {
      const got = (await b.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];
      if (got.length === 0) continue;
      for (const m of got) JSON.parse(m.Body!);
      const Entries = got.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! }));
      await b.client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries }));
      done += got.length;
    }
  });
  return { publish, process: processed };
}

/** Runs the comparison and returns printable lines. */
export async function runSqsBench(rounds = 3): Promise<string[]> {
  const server = await startFauxqs();
  const client = new SQSClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: CREDENTIALS });
  const driver = new SqsDriver(
    'bench:sqs',
    sqsDriverSchema.parse({ region: 'us-east-1', endpoint: server.endpoint, access_key_id: CREDENTIALS.accessKeyId, secret_access_key: CREDENTIALS.secretAccessKey }),
  );
  const b: Bench = { endpoint: server.endpoint, client, driver, queues: [] };
  const publish: Record<'actorq' | 'raw', number[]> = { actorq: [], raw: [] };
  const tag = `${process.pid}-${Date.now()}`;
  let n = 0;
  let results;
  try {
    await driver.start();
    results = await compare(rounds, {
      actorq: async () => {
        const r = await actorq(b, `bench-actorq-${tag}-${n++}`);
        publish.actorq.push(r.publish);
        return r.process;
      },
      'sqs-consumer': () => sqsConsumer(b, `bench-sqsc-${tag}-${n++}`),
      raw: async () => {
        const r = await raw(b, `bench-raw-${tag}-${n++}`);
        publish.raw.push(r.publish);
        return r.process;
      },
      'raw again': async () => (await raw(b, `bench-raw2-${tag}-${n++}`)).process,
    });
  } finally {
    await driver.stop();
    for (const url of b.queues) await client.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    client.destroy();
    await server.stop();
  }
  const p = (k: string) => results[k]!;
  const x = (v: number) => `${v.toFixed(2)}x`;
  const med = (xs: number[]) => [...xs].sort((a, c) => a - c)[xs.length >> 1]!;
  return [
    `sqs: fauxqs emulator, ${COUNT} messages per round, concurrency ${CONCURRENCY}, prefetch ${PREFETCH}; sqs-consumer handleMessageBatch, batchSize 10; median of ${rounds} rounds`,
    `  processing  actorq ${formatRate(p('actorq').median).padStart(12)}   sqs-consumer ${formatRate(p('sqs-consumer').median).padStart(12)}   raw ${formatRate(p('raw').median).padStart(12)}`,
    `  actorq/sqs-consumer ${x(pairedRatio(p('actorq').runs, p('sqs-consumer').runs))}   actorq/raw ${x(pairedRatio(p('actorq').runs, p('raw').runs))}   (medians of per-round ratios)`,
    `  raw again/raw (same code, the harness's noise): ${pairedRatio(p('raw again').runs, p('raw').runs).toFixed(3)}x`,
    `  publish     actorq ${formatRate(med(publish.actorq)).padStart(12)}   raw SendMessageBatch ${formatRate(med(publish.raw)).padStart(12)}   actorq/raw ${x(pairedRatio(publish.actorq, publish.raw))}`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.argv[2] ?? 3);
  for (const line of await runSqsBench(rounds)) console.log(line);
}
