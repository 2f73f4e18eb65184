import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import type { Handler } from '../../src/functions/handler.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { AccessGuard } from '../../src/security/access-guard.ts';
import { SecurityCatalog } from '../../src/security/security-catalog.ts';
import { compare, formatRate, median, pairedRatio, pairedSpread } from './bench-utils.ts';
import { ContenderPool, PROCESSES_PER_CONTENDER } from './contender-process.ts';

/**
 * The `security` section of `npm run bench`: a handler that publishes one
 * message per message it handles, end to end on the memory driver, with
 * its consumer running under an actor and a policy group (every publish
 * checked: `queue.publish`, then `queue.publish.queue`, with a condition
 * on the actor's metadata) against the same consumer without security.
 * Decisions are cached per actor, action and resource, so the target is
 * a cost under 5%.
 *
 * Each contender is spread over warmed-up processes of its own (see
 * `contender-process.ts`), asked in turn with the order flipped every
 * round; `plain again` (the unsecured variant in processes of its own)
 * gives the harness's noise. A second line times the cached check alone.
 */
const THIS_FILE = fileURLToPath(import.meta.url);
const CONCURRENCY = 4;
const PREFETCH = 64;

const POLICIES = `
  - name: publish
    kind: security.policy
    policy: { actions: queue.publish, resources: "*", effect: allow }
    groups: [services]
  - name: workers
    kind: security.policy
    policy:
      actions: [queue.publish.queue, queue.consume]
      resources: "b:*"
      effect: allow
      conditions: [{ field: actor.meta.role, operator: eq, value: worker }]
    groups: [services]
  - name: no_secrets
    kind: security.policy
    policy: { actions: "*", resources: "b:secret*", effect: deny }
    groups: [services]`;

/**
 * The section's configuration. `b:in` is bounded (the publisher waits for
 * room) and `b:out` is drained by `b:sink`, so a round's heap holds
 * neither its whole input nor its whole output.
 */
function yaml(secured: boolean, count: number): string {
  const security = secured ? ', security: { actor: { id: "svc:bench", meta: { role: worker } }, groups: [b:services] }' : '';
  return `namespace: b
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: in, kind: queue.queue, driver: b:d, driver_options: { memory: { max_length: 20000 } } }
  - { name: out, kind: queue.queue, driver: b:d, driver_options: { memory: { max_length: ${count * 2} } } }
  - name: c
    kind: queue.consumer
    queue: b:in
    func: b:h
    concurrency: ${CONCURRENCY}
    prefetch: ${PREFETCH}
    lifecycle: { auto_start: true${security} }
  - { name: sink, kind: queue.consumer, queue: b:out, func: b:discard, concurrency: 1, prefetch: 256, lifecycle: { auto_start: true } }
${secured ? POLICIES : ''}
`;
}

/** Takes what the handler published, so no round's heap holds its whole output. */
const sink: Handler = () => undefined;

/**
 * One timed run: `count` messages in, each handled by a publish to `b:out`,
 * timed until the last is handled; messages per second. `b:out` is drained
 * by a plain consumer in both variants: left to pile up, the round's output
 * made old-generation collections the largest part of the spread.
 */
async function runOnce(secured: boolean, count: number): Promise<number> {
  const handler: Handler = (body, ctx) => ctx.publish('b:out', body);
  const runtime = createRuntime({
    registry: parseConfigText(yaml(secured, count), '<bench>', { extraFunctionIds: ['b:h', 'b:discard'] }),
    functions: { 'b:h': handler, 'b:discard': sink },
    logger: silentLogger,
  });
  await runtime.start();
  const bodies = Array.from({ length: count }, (_, i) => i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i += 10_000) await runtime.publishBatch('b:in', bodies.slice(i, i + 10_000));
  while (runtime.consumerStats('b:c').acked < count) await new Promise((r) => setImmediate(r));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  while (runtime.consumerStats('b:sink').acked < count) await new Promise((r) => setImmediate(r));
  await runtime.stop();
  return count / seconds;
}

/** Nanoseconds per cached `checkPublish` (both checks answered from the cache). */
function cachedCheckNs(): number {
  const registry = parseConfigText(yaml(true, 1), '<bench>', { extraFunctionIds: ['b:h', 'b:discard'] });
  const scope = SecurityCatalog.fromRegistry(registry).scopeOf([], ['b:services']);
  const guard = new AccessGuard({ actor: { id: 'svc:bench', meta: { role: 'worker' } }, scope, strict: false, logger: silentLogger });
  const samples: number[] = [];
  for (let round = 0; round < 7; round++) {
    const n = 2_000_000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (guard.checkPublish('b:out') !== undefined) throw new Error('denied');
    samples.push(Number(process.hrtime.bigint() - start) / n);
  }
  return median(samples);
}

/** The section's lines. */
export async function runSecurityBench(rounds = 21, count = 500_000): Promise<string[]> {
  const pool = (variant: 'plain' | 'secured') => new ContenderPool(THIS_FILE, ['serve', variant, String(count)]);
  const contenders = { 'plain again': pool('plain'), plain: pool('plain'), secured: pool('secured') };
  try {
    for (const c of Object.values(contenders)) await c.ready();
    const results = await compare(rounds, Object.fromEntries(Object.entries(contenders).map(([name, c]) => [name, () => c.run()])));
    const ratio = pairedRatio(results['secured']!.runs, results['plain']!.runs);
    const noise = pairedRatio(results['plain again']!.runs, results['plain']!.runs);
    return [
      `memory driver, ${count.toLocaleString('en')} messages, concurrency ${CONCURRENCY}, prefetch ${PREFETCH}; the handler publishes each message to another queue`,
      `  secured: the consumer runs as an actor under a group of 3 policies (every publish checked twice, a condition on actor meta); plain: no security`,
      `  ${rounds} rounds; each contender spread over ${PROCESSES_PER_CONTENDER} warmed-up processes of its own, asked in turn (order flips every round)`,
      ...Object.entries(results).map(([name, r]) => `  ${name.padEnd(12)} ${formatRate(r.median).padStart(14)}   rounds: ${r.runs.map((x) => formatRate(x)).join(', ')}`),
      `  plain again/plain (same code, the harness's noise): ${noise.toFixed(3)}x (middle half of rounds ${pairedSpread(results['plain again']!.runs, results['plain']!.runs)})`,
      `  secured/plain, median of per-round ratios: ${ratio.toFixed(3)}x (middle half of rounds ${pairedSpread(results['secured']!.runs, results['plain']!.runs)}; target: cost under 5%, i.e. >= 0.95)`,
      `  cached checkPublish alone: ${cachedCheckNs().toFixed(1)} ns per publish`,
    ];
  } finally {
    for (const c of Object.values(contenders)) c.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [mode, variant, count = '500000'] = process.argv.slice(2);
  if (mode === 'serve') {
    // Warm up, say "ready", then time one run per "run" line on stdin; exit when stdin closes.
    const secured = variant === 'secured';
    await runOnce(secured, Number(count));
    console.log('ready');
    for await (const line of createInterface({ input: process.stdin })) {
      if (line.trim() === 'run') console.log(String(await runOnce(secured, Number(count))));
    }
  } else {
    for (const line of await runSecurityBench(Number(process.env['ROUNDS'] ?? 21))) console.log(line);
  }
}
