/**
 * AMQP section of the benchmark: the actorq AMQP driver against raw
 * amqplib on the same RabbitMQ, in the same run, alternating rounds.
 *
 *   npx tsx test/bench/amqp-bench.ts [rounds]
 *
 * 50k small persistent messages on a durable classic queue.
 * - consume: the driver driven like actorq's consumer with concurrency 10
 *   and prefetch 100 (credit 110, ten workers over a buffer, each delivery
 *   acked, credit returned in batches) vs raw amqplib with prefetch 100 and
 *   a manual ack per message. The raw consumer JSON-decodes each body too
 *   (any real consumer does); a decode-free raw figure is printed as well.
 * - publish: one `driver.publish` of the whole batch (confirms) vs raw
 *   `ConfirmChannel.publish` of the same bytes plus `waitForConfirms`.
 */
import amqp from 'amqplib';
import { AmqpDriver } from '../../src/drivers/amqp/amqp-driver.ts';
import { amqpDriverSchema, amqpQueueOptionsSchema } from '../../src/drivers/amqp/amqp-options.ts';
import { encodeMessage } from '../../src/drivers/amqp/message-codec.ts';
import { drainWithPool } from './drain-with-pool.ts';
import { formatRate, median, rate } from './bench-utils.ts';

const URL = process.env['ACTORQ_BENCH_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672/';
const COUNT = 50_000;
const CONCURRENCY = 10;
const PREFETCH = 100;
const prefix = `actorq-bench-${process.pid}`;

const messages = Array.from({ length: COUNT }, (_, i) => ({ id: `m${i}`, body: { n: i, task: 'x' }, headers: { timestamp: 1700000000 } }));


interface Round {
  publish: number;
  consume: number;
}

async function actorq(driver: AmqpDriver, q: string): Promise<Round> {
  await driver.declare({ id: `bench:${q}`, name: q, options: amqpQueueOptionsSchema.parse({}) });
  const publish = await rate(COUNT, () => driver.publish(q, messages));
  const consume = await rate(COUNT, () => drainWithPool(driver, q, COUNT, CONCURRENCY, PREFETCH));
  return { publish, consume };
}

async function raw(conn: amqp.ChannelModel, q: string, decode: boolean): Promise<Round> {
  const pub = await conn.createConfirmChannel();
  await pub.assertQueue(q, { durable: true });
  // Same bytes and properties as the driver sends; encoding is timed, as the driver's is.
  const publish = await rate(COUNT, async () => {
    for (const m of messages) {
      const e = encodeMessage(m, q);
      if (!pub.sendToQueue(q, e.content, e.properties)) await new Promise((r) => pub.once('drain', r));
    }
    await pub.waitForConfirms();
  });
  await pub.close();
  const ch = await conn.createChannel();
  await ch.prefetch(PREFETCH);
  let tag = '';
  const consume = await rate(COUNT, () => new Promise<void>((resolve) => {
    let done = 0;
    void ch
      .consume(q, (msg) => {
        if (!msg) return;
        if (decode) JSON.parse(msg.content.toString('utf8'));
        ch.ack(msg);
        if (++done === COUNT) resolve();
      })
      .then((r) => (tag = r.consumerTag));
  }));
  await ch.cancel(tag);
  await ch.close();
  return { publish, consume };
}

/** Runs the comparison and returns printable lines. */
export async function runAmqpBench(rounds = 3): Promise<string[]> {
  const conn = await amqp.connect(URL);
  const driver = new AmqpDriver('bench:amqp', amqpDriverSchema.parse({ url: URL }));
  await driver.start();
  const results: Record<'actorq' | 'raw' | 'rawNoDecode', Round[]> = { actorq: [], raw: [], rawNoDecode: [] };
  const made: string[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      // Alternate who goes first so broker warm-up and noise hit both alike.
      const order = r % 2 === 0 ? (['actorq', 'raw', 'rawNoDecode'] as const) : (['raw', 'actorq', 'rawNoDecode'] as const);
      for (const who of order) {
        const q = `${prefix}-${who}-${r}`;
        made.push(q);
        if (who === 'actorq') results.actorq.push(await actorq(driver, q));
        else results[who].push(await raw(conn, q, who === 'raw'));
      }
    }
  } finally {
    await driver.stop();
    const ch = await conn.createChannel();
    for (const q of made) await ch.deleteQueue(q).catch(() => undefined);
    await conn.close();
  }
  const m = (k: keyof typeof results, f: keyof Round) => median(results[k].map((x) => x[f]));
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const [aC, rC, nC, aP, rP] = [m('actorq', 'consume'), m('raw', 'consume'), m('rawNoDecode', 'consume'), m('actorq', 'publish'), m('raw', 'publish')];
  return [
    `amqp: ${COUNT} messages, concurrency ${CONCURRENCY}, prefetch ${PREFETCH}, durable classic queue, median of ${rounds} rounds`,
    `  consume   actorq ${formatRate(aC).padStart(14)}   raw amqplib (JSON decode + ack) ${formatRate(rC).padStart(14)}   actorq/raw ${x(aC, rC)}   (raw ack only ${formatRate(nC)}, actorq/that ${x(aC, nC)})`,
    `  publish   actorq ${formatRate(aP).padStart(14)}   raw amqplib ConfirmChannel       ${formatRate(rP).padStart(14)}   actorq/raw ${x(aP, rP)}`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.argv[2] ?? 3);
  for (const line of await runAmqpBench(rounds)) console.log(line);
}
