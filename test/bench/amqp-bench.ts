/**
 * AMQP section of the benchmark: the actorq AMQP driver against raw
 * amqplib on the same RabbitMQ, in the same run, in short interleaved trials.
 *
 *   npx tsx test/bench/main.ts amqp      (ROUNDS=n, default 3)
 *
 * Small persistent messages on durable classic queues, a fresh queue per
 * contender and trial. A round is five trials of 10k messages per
 * contender (50k each, as one long run per round used to be): with
 * persistent messages the broker's disk sets the pace (the same publishes
 * made transient ran 3x faster), and on a shared machine single 10k
 * publishes of the very same code ranged from 2.8k to 12k msg/s within a
 * minute, so long runs far apart in time compared noise, not code.
 * In a trial every contender publishes (one after the other), then every
 * contender consumes its queue, so the two sides of a ratio run seconds
 * apart; the order rotates each trial so that each contender starts each
 * phase equally often. Ratios are medians of the per-trial ratios.
 *
 * - consume: the driver driven like actorq's consumer with concurrency 10
 *   and prefetch 100 (credit 110, ten workers over a buffer, each delivery
 *   acked, credit returned in batches) vs raw amqplib with prefetch 100 and
 *   a manual ack per message. The raw consumer JSON-decodes each body too
 *   (any real consumer does); a decode-free raw figure is printed as well.
 * - publish: one `driver.publish` of the trial's batch (confirms) vs raw
 *   `ConfirmChannel.sendToQueue` of the same bytes plus `waitForConfirms`.
 * - noise: a second raw contender runs the raw code again; its ratio to
 *   the first is what the harness cannot tell apart from equal.
 * - raw mandatory (publish only): the raw publish with the `mandatory` flag
 *   the driver sets on every message (so a queue deleted behind its back
 *   fails the publish instead of dropping messages silently); the broker
 *   does more per mandatory message, so this is the raw figure for the same work.
 * - broker CPU (only with ACTORQ_BENCH_BROKER_PID, the process ID of a
 *   RabbitMQ on this machine, Linux): the broker's CPU time per message in
 *   each timed phase, beside this process's. Publishing persistent
 *   messages the broker spends several times the client's CPU per message,
 *   and more per `mandatory` message, so it shows who sets the pace. It is
 *   all of the broker's CPU (other clients' work included), in 10 ms ticks:
 *   1 us a message at 10k messages.
 */
import { readFileSync } from 'node:fs';
import amqp from 'amqplib';
import { AmqpDriver } from '../../src/drivers/amqp/amqp-driver.ts';
import { amqpDriverSchema, amqpQueueOptionsSchema } from '../../src/drivers/amqp/amqp-options.ts';
import { encodeMessage } from '../../src/drivers/amqp/message-codec.ts';
import type { Message } from '../../src/message/message.ts';
import { drainWithPool } from './drain-with-pool.ts';
import { formatRate, median, middleHalf, pairedRatio } from './bench-utils.ts';

const URL = process.env['ACTORQ_BENCH_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672/';
const COUNT = 10_000;
/** The untimed first trial that warms up both sides (JIT, channels, the broker's queue processes). */
const WARMUP_COUNT = 2_000;
const CONCURRENCY = 10;
const PREFETCH = 100;
const prefix = `actorq-bench-${process.pid}`;

const CONTENDERS = ['actorq', 'raw', 'raw again', 'raw ack only', 'raw mandatory'] as const;
type Contender = (typeof CONTENDERS)[number];
/** One trial per contender in a round, so that within a round each starts a phase once. */
const TRIALS_PER_ROUND = CONTENDERS.length;

function batch(count: number): Message[] {
  return Array.from({ length: count }, (_, i) => ({ id: `m${i}`, body: { n: i, task: 'x' }, headers: { timestamp: 1700000000 } }));
}

/** A timed run: messages per second, and this process's and the broker's CPU time per message in microseconds. */
interface Timing {
  rate: number;
  cpu: number;
  broker: number;
}

/** The local broker process whose CPU time is measured, or 0 for none. */
const BROKER_PID = Number(process.env['ACTORQ_BENCH_BROKER_PID'] ?? 0);
/** Linux counts a process's CPU time in clock ticks of 1/100 s (USER_HZ). */
const TICK_US = 10_000;

/** The broker's CPU time so far in microseconds (user + system), NaN without a broker PID. */
function brokerCpu(): number {
  if (BROKER_PID === 0) return Number.NaN;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${BROKER_PID}/stat`, 'utf8');
  } catch (e) {
    throw new Error(`ACTORQ_BENCH_BROKER_PID=${BROKER_PID}: cannot read /proc/${BROKER_PID}/stat (a broker process on this Linux machine?): ${(e as Error).message}`);
  }
  // The command name in parentheses may hold spaces; utime and stime are the 14th and 15th fields.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/**
 * Times `fn` over `count` messages. The CPU time is the whole process's,
 * but only one contender runs at a time; on a shared machine it is much
 * steadier than the rate, which depends on how busy the broker's cores are.
 */
async function timed(count: number, fn: () => Promise<void>): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const broker0 = brokerCpu();
  const start = process.hrtime.bigint();
  await fn();
  const ns = Number(process.hrtime.bigint() - start);
  const cpu = process.cpuUsage(cpu0);
  return { rate: count / (ns / 1e9), cpu: (cpu.user + cpu.system) / count, broker: (brokerCpu() - broker0) / count };
}

/** What a contender does in a trial: fill its queue (timed), then empty it (timed; a publish-only contender's queue is just deleted). */
interface Side {
  publish(q: string, messages: readonly Message[]): Promise<Timing>;
  consume?(q: string, count: number): Promise<Timing>;
}

function actorqSide(driver: AmqpDriver): Side {
  return {
    async publish(q, messages) {
      await driver.declare({ id: `bench:${q}`, name: q, options: amqpQueueOptionsSchema.parse({}) });
      return timed(messages.length, () => driver.publish(q, messages));
    },
    consume: (q, count) => timed(count, () => drainWithPool(driver, q, count, CONCURRENCY, PREFETCH)),
  };
}

function rawSide(conn: amqp.ChannelModel, decode: boolean, mandatory = false): Side {
  const side: Required<Side> = {
    async publish(q, messages) {
      const pub = await conn.createConfirmChannel();
      await pub.assertQueue(q, { durable: true });
      // Same bytes and properties as the driver sends; encoding is timed, as the driver's is.
      const r = await timed(messages.length, async () => {
        for (const m of messages) {
          const e = encodeMessage(m, q);
          if (!pub.sendToQueue(q, e.content, mandatory ? Object.assign({ mandatory }, e.properties) : e.properties)) await new Promise((r) => pub.once('drain', r));
        }
        await pub.waitForConfirms();
      });
      await pub.close();
      return r;
    },
    async consume(q, count) {
      const ch = await conn.createChannel();
      await ch.prefetch(PREFETCH);
      let tag = '';
      const r = await timed(count, () => new Promise<void>((resolve) => {
        let done = 0;
        void ch
          .consume(q, (msg) => {
            if (!msg) return;
            if (decode) JSON.parse(msg.content.toString('utf8'));
            ch.ack(msg);
            if (++done === count) resolve();
          })
          .then((r) => (tag = r.consumerTag));
      }));
      await ch.cancel(tag);
      await ch.close();
      return r;
    },
  };
  return mandatory ? { publish: side.publish } : side;
}

/** The contenders in trial `t`'s order: rotated by one each trial, so each is first (and last) equally often. */
function orderOf(t: number): Contender[] {
  const k = t % CONTENDERS.length;
  return [...CONTENDERS.slice(k), ...CONTENDERS.slice(0, k)];
}

type Phase = 'publish' | 'consume';
const NOT_RUN: Timing = { rate: Number.NaN, cpu: Number.NaN, broker: Number.NaN };

/** Runs one trial of `count` messages per contender in `order`, on queues named after `label`; returns each contender's timings. */
async function trial(sides: Record<Contender, Side>, order: readonly Contender[], label: string, count: number, made: string[], del: (q: string) => Promise<void>): Promise<Record<Contender, Record<Phase, Timing>>> {
  const messages = batch(count);
  const out = {} as Record<Contender, Record<Phase, Timing>>;
  const queueOf = (who: Contender) => `${prefix}-${who.replaceAll(' ', '-')}-${label}`;
  for (const who of order) {
    made.push(queueOf(who));
    out[who] = { publish: await sides[who].publish(queueOf(who), messages), consume: NOT_RUN };
  }
  for (const who of order) out[who].consume = (await sides[who].consume?.(queueOf(who), count)) ?? NOT_RUN;
  for (const who of order) await del(queueOf(who));
  return out;
}

/** Runs the comparison and returns printable lines. */
export async function runAmqpBench(rounds = 3): Promise<string[]> {
  brokerCpu(); // a wrong broker PID fails here, not after the trials
  const trials = rounds * TRIALS_PER_ROUND;
  const conn = await amqp.connect(URL);
  const ops = await conn.createChannel();
  const driver = new AmqpDriver('bench:amqp', amqpDriverSchema.parse({ url: URL }));
  await driver.start();
  const sides: Record<Contender, Side> = {
    actorq: actorqSide(driver),
    raw: rawSide(conn, true),
    'raw again': rawSide(conn, true),
    'raw ack only': rawSide(conn, false),
    'raw mandatory': rawSide(conn, false, true),
  };
  const runs = Object.fromEntries(CONTENDERS.map((c) => [c, { publish: [] as Timing[], consume: [] as Timing[] }])) as Record<Contender, Record<Phase, Timing[]>>;
  const made: string[] = [];
  const del = async (q: string) => void (await ops.deleteQueue(q));
  try {
    await trial(sides, CONTENDERS, 'warmup', WARMUP_COUNT, made, del);
    for (let t = 0; t < trials; t++) {
      const r = await trial(sides, orderOf(t), String(t), COUNT, made, del);
      for (const c of CONTENDERS) {
        runs[c].publish.push(r[c].publish);
        runs[c].consume.push(r[c].consume);
      }
    }
  } finally {
    await driver.stop();
    // Queues a failed trial left behind.
    const ch = await conn.createChannel();
    for (const q of made) await ch.deleteQueue(q).catch(() => undefined);
    await conn.close();
  }
  const rates = (c: Contender, f: Phase) => runs[c][f].map((t) => t.rate);
  const m = (c: Contender, f: Phase) => median(rates(c, f));
  const ratio = (a: Contender, b: Contender, f: Phase) => pairedRatio(rates(a, f), rates(b, f));
  const spread = (a: Contender, b: Contender, f: Phase) => middleHalf(rates(a, f).map((x, i) => x / rates(b, f)[i]!));
  const x = (a: Contender, b: Contender, f: Phase) => `${ratio(a, b, f).toFixed(2)}x (middle half of trials ${spread(a, b, f)})`;
  const cpu = (c: Contender, f: Phase, of: 'cpu' | 'broker' = 'cpu') => `${median(runs[c][f].map((t) => t[of])).toFixed(1)} us`;
  const brokerLine = `  broker CPU per message (pid ${BROKER_PID}, median): consume actorq ${cpu('actorq', 'consume', 'broker')}, raw ${cpu('raw', 'consume', 'broker')}; publish actorq ${cpu('actorq', 'publish', 'broker')}, raw ${cpu('raw', 'publish', 'broker')}, raw again ${cpu('raw again', 'publish', 'broker')}, raw mandatory ${cpu('raw mandatory', 'publish', 'broker')}`;
  return [
    `amqp: ${trials} trials of ${COUNT} messages per contender (${rounds} rounds), concurrency ${CONCURRENCY}, prefetch ${PREFETCH}, durable classic queue; ratios are medians of per-trial ratios`,
    `  consume   actorq ${formatRate(m('actorq', 'consume')).padStart(14)}   raw amqplib (JSON decode + ack) ${formatRate(m('raw', 'consume')).padStart(14)}   actorq/raw ${x('actorq', 'raw', 'consume')}   (raw ack only ${formatRate(m('raw ack only', 'consume'))}, actorq/that ${ratio('actorq', 'raw ack only', 'consume').toFixed(2)}x)`,
    `  publish   actorq ${formatRate(m('actorq', 'publish')).padStart(14)}   raw amqplib ConfirmChannel       ${formatRate(m('raw', 'publish')).padStart(14)}   actorq/raw ${x('actorq', 'raw', 'publish')}   (raw mandatory ${formatRate(m('raw mandatory', 'publish'))}, actorq/that ${x('actorq', 'raw mandatory', 'publish')})`,
    `  noise (raw again/raw, same code): consume ${x('raw again', 'raw', 'consume')}, publish ${x('raw again', 'raw', 'publish')}`,
    `  this process's CPU per message (median): consume actorq ${cpu('actorq', 'consume')}, raw ${cpu('raw', 'consume')}, raw again ${cpu('raw again', 'consume')}; publish actorq ${cpu('actorq', 'publish')}, raw ${cpu('raw', 'publish')}, raw again ${cpu('raw again', 'publish')}, raw mandatory ${cpu('raw mandatory', 'publish')}`,
    ...(BROKER_PID === 0 ? [] : [brokerLine]),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.argv[2] ?? 3);
  for (const line of await runAmqpBench(rounds)) console.log(line);
}
