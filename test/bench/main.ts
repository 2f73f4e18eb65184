/**
 * `npm run bench [-- section...]`: throughput of each part against the
 * baseline its issue names, in the same run, as medians of several rounds
 * and ratios. Sections: memory (vs fastq), retry (memory with an unused
 * retry policy vs without), amqp (vs raw amqplib), redis
 * (vs BullMQ and a raw pipeline), redis-retry (Redis with an unused retry
 * policy vs without), lua (vs the same JS handler), inspect
 * (with vs without the inspector), security (a handler publishing per
 * message under an actor and policies vs without), embed (handlers as
 * XState actor logic vs a plain function), nats (the JetStream driver
 * through the runtime vs a raw @nats-io/jetstream pull consumer and
 * js.publish), sqs (the SQS driver vs sqs-consumer and a raw SDK loop on
 * a private fauxqs). No section: all of them.
 *
 * Speed is measured here, never in tests: these machines are small and
 * noisy, so only medians and same-run ratios mean anything.
 */
import os from 'node:os';

type Section = () => Promise<string[]>;

const SECTIONS: Record<string, Section> = {
  memory: async () => (await import('./memory-bench.ts')).runMemoryBench(Number(process.env['ROUNDS'] ?? 21)),
  retry: async () => (await import('./memory-retry-bench.ts')).runMemoryRetryBench(Number(process.env['ROUNDS'] ?? 15)),
  amqp: async () => (await import('./amqp-bench.ts')).runAmqpBench(Number(process.env['ROUNDS'] ?? 3)),
  redis: async () => (await import('./redis-bench.ts')).runRedisBench(Number(process.env['ROUNDS'] ?? 7)),
  'redis-retry': async () => (await import('./redis-retry-bench.ts')).runRedisRetryBench(Number(process.env['ROUNDS'] ?? 9)),
  lua: async () => (await import('./lua-bench.ts')).runLuaBench({ rounds: Number(process.env['ROUNDS'] ?? 7), messages: 20_000 }).then((s) => s.lines),
  inspect: async () => (await import('./inspect-bench.ts')).inspectBench(),
  security: async () => (await import('./security-bench.ts')).runSecurityBench(Number(process.env['ROUNDS'] ?? 21)),
  embed: async () => (await import('./embed-bench.ts')).runEmbedBench(Number(process.env['ROUNDS'] ?? 7)),
  nats: async () => (await import('./nats-bench.ts')).runNatsBench(Number(process.env['ROUNDS'] ?? 5)),
  sqs: async () => (await import('./sqs-bench.ts')).runSqsBench(Number(process.env['ROUNDS'] ?? 5)),
};

const wanted = process.argv.slice(2).filter((a) => a !== '--');
const unknown = wanted.filter((w) => !(w in SECTIONS));
if (unknown.length > 0) {
  console.error(`unknown section(s): ${unknown.join(', ')}; choose from ${Object.keys(SECTIONS).join(', ')}`);
  process.exit(2);
}
console.log(`actorq benchmarks on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}`);
let failed = false;
for (const name of wanted.length ? wanted : Object.keys(SECTIONS)) {
  console.log(`\n## ${name}`);
  try {
    for (const line of await SECTIONS[name]!()) console.log(line);
  } catch (error) {
    failed = true;
    console.log(`  failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
process.exitCode = failed ? 1 : 0;
