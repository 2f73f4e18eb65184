/**
 * NATS section of the benchmark: actorq's JetStream driver through the
 * runtime (a YAML config, a trivial async handler, concurrency 10,
 * prefetch 100) against a raw `@nats-io/jetstream` pull consumer on the
 * same server, in the same run, rounds interleaved with the order flipped.
 *
 *   npx tsx test/bench/main.ts nats      (ROUNDS=n, default 5)
 *
 * Each contender gets streams of its own (work-queue retention, file
 * storage, one durable pull consumer with explicit acks: the settings the
 * driver declares), deleted afterwards.
 * - consume: the consumer started on a full stream, timed until every
 *   message is acked; the raw side runs `consume({ max_messages: 100 })`
 *   and JSON-decodes and acks each message.
 * - publish: `runtime.publishBatch` (acknowledged by the server) vs raw
 *   `js.publish` of the same JSON bodies with 500 acknowledgements in flight.
 * A second actorq contender runs the same code again: its ratio to the
 * first is the harness's noise.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { compare, formatRate, pairedRatio, rate } from './bench-utils.ts';

const URL = process.env['ACTORQ_BENCH_NATS_URL'] ?? 'nats://127.0.0.1:4222';
const COUNT = 20_000;
const CONCURRENCY = 10;
const PREFETCH = 100;
const WINDOW = 500;
const BATCH = 5_000;
const prefix = `ACTORQ_BENCH_${process.pid}`;

const bodies = Array.from({ length: COUNT }, (_, i) => ({ n: i, task: 'x' }));

interface Round {
  publish: number;
  consume: number;
}

function yaml(stream: string): string {
  return `namespace: b
entries:
  - { name: d, kind: queue.driver.nats, servers: "${URL}", lifecycle: { auto_start: true } }
  - name: q
    kind: queue.queue
    driver: b:d
    queue_name: ${stream}
    driver_options: { nats: { stream: ${stream}, subject: ${stream}.tasks } }
  - { name: c, kind: queue.consumer, queue: b:q, func: b:h, concurrency: ${CONCURRENCY}, prefetch: ${PREFETCH} }
`;
}

/** actorq: publishBatch into a fresh stream, then the consumer started and timed until all are acked. */
async function actorq(stream: string): Promise<Round> {
  const runtime = createRuntime({
    registry: parseConfigText(yaml(stream), '<bench>', { extraFunctionIds: ['b:h'] }),
    functions: { 'b:h': async () => undefined },
    logger: silentLogger,
  });
  await runtime.start();
  try {
    const publish = await rate(COUNT, async () => {
      for (let i = 0; i < COUNT; i += BATCH) await runtime.publishBatch('b:q', bodies.slice(i, i + BATCH));
    });
    const consume = await rate(COUNT, async () => {
      await runtime.startEntry('b:c');
      await new Promise<void>((resolve) => {
        const poll = () => (runtime.consumerStats('b:c').acked >= COUNT ? resolve() : setTimeout(poll, 1));
        poll();
      });
    });
    return { publish, consume };
  } finally {
    await runtime.stop();
  }
}

/** Raw JetStream: the same stream and consumer settings, js.publish with a window, consume() with ack per message. */
async function raw(nc: NatsConnection, jsm: JetStreamManager, stream: string): Promise<Round> {
  const subject = `${stream}.tasks`;
  await jsm.streams.add({ name: stream, subjects: [subject], retention: RetentionPolicy.Workqueue, storage: StorageType.File, num_replicas: 1, discard: DiscardPolicy.Old });
  await jsm.consumers.add(stream, { durable_name: 'raw', ack_policy: AckPolicy.Explicit, max_deliver: -1, max_ack_pending: -1, deliver_policy: DeliverPolicy.All, filter_subject: subject });
  const js = jetstream(nc);
  const publish = await rate(COUNT, async () => {
    const inFlight = new Set<Promise<unknown>>();
    for (const body of bodies) {
      const p = js.publish(subject, JSON.stringify(body)).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= WINDOW) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  });
  const consumer = await js.consumers.get(stream, 'raw');
  const consume = await rate(COUNT, async () => {
    const messages = await consumer.consume({ max_messages: PREFETCH });
    let done = 0;
    for await (const m of messages) {
      m.json();
      m.ack();
      if (++done === COUNT) break;
    }
    await messages.close();
  });
  return { publish, consume };
}

/** Runs the comparison and returns printable lines. */
export async function runNatsBench(rounds = 5): Promise<string[]> {
  const nc = await connect({ servers: URL });
  const jsm = await jetstreamManager(nc);
  const made: string[] = [];
  const results: Record<'actorq' | 'raw' | 'actorq again', Round[]> = { actorq: [], raw: [], 'actorq again': [] };
  let n = 0;
  const stream = (who: string) => {
    const name = `${prefix}_${who}_${n++}`;
    made.push(name);
    return name;
  };
  const contenders = {
    actorq: async () => (results.actorq.push(await actorq(stream('A'))), 0),
    raw: async () => (results.raw.push(await raw(nc, jsm, stream('R'))), 0),
    'actorq again': async () => (results['actorq again'].push(await actorq(stream('B'))), 0),
  };
  try {
    // One untimed round first (its results dropped): first rounds run cold.
    await compare(1, contenders);
    for (const k of Object.keys(results) as (keyof typeof results)[]) results[k].length = 0;
    await compare(rounds, contenders);
  } finally {
    for (const s of made) await jsm.streams.delete(s).catch(() => undefined);
    await nc.drain();
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const pick = (k: keyof typeof results, f: keyof Round) => results[k].map((r) => r[f]);
  const line = (f: keyof Round, rawLabel: string) => {
    const [a, r, b] = [pick('actorq', f), pick('raw', f), pick('actorq again', f)];
    return `  ${f.padEnd(8)}  actorq ${formatRate(med(a)).padStart(14)}   ${rawLabel} ${formatRate(med(r)).padStart(14)}   actorq/raw ${pairedRatio(a, r).toFixed(2)}x   (actorq again ${formatRate(med(b))}, actorq again / actorq ${pairedRatio(b, a).toFixed(2)}x)`;
  };
  return [
    `nats: ${COUNT} messages, concurrency ${CONCURRENCY}, prefetch ${PREFETCH}, work-queue streams (file storage), ${rounds} rounds; ratios are medians of per-round ratios`,
    line('consume', 'raw consume({ max_messages: 100 }) (JSON decode + ack)'),
    line('publish', `raw js.publish, ${WINDOW} in flight                 `),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.argv[2] ?? 5);
  for (const line of await runNatsBench(rounds)) console.log(line);
}
