import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import type { Handler } from '../../src/functions/handler.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { AccessGuard } from '../../src/security/access-guard.ts';
import { SecurityCatalog } from '../../src/security/security-catalog.ts';
import { compare, formatRate, median, pairedRatio, pairedSpread } from './bench-utils.ts';

/**
 * The `security` section of `npm run bench`: a handler that publishes one
 * message per message it handles, end to end on the memory driver, with
 * its consumer running under an actor and a policy group (every publish
 * checked: `queue.publish`, then `queue.publish.queue`, with a condition
 * on the actor's metadata) against the same consumer without security.
 * Decisions are cached per actor, action and resource, so the target is
 * a cost under 5%.
 *
 * Each contender runs in its own warmed-up process, asked in turn with the
 * order flipped every round; `plain again` (the unsecured variant in a
 * third process) gives the harness's noise. A second line times the
 * cached check alone.
 */
const THIS_FILE = fileURLToPath(import.meta.url);
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
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

/** Processes each contender is spread over, taken in turn round by round. */
const PROCESSES = 3;

/**
 * A contender served by {@link PROCESSES} child processes of its own (this
 * file, serve mode), asked in turn. One process per contender measured a
 * bias of its own that lasted the whole run (the same code at 0.84x in one
 * run and 1.12x in the next, with tight rounds in each): how V8 happened to
 * compile that process. Spreading rounds over several processes lets the
 * median of per-round ratios average over it.
 */
class Contender {
  readonly #processes: ContenderProcess[];
  #turn = 0;

  constructor(variant: 'plain' | 'secured', count: number) {
    this.#processes = Array.from({ length: PROCESSES }, () => new ContenderProcess(variant, count));
  }

  async ready(): Promise<void> {
    for (const p of this.#processes) await p.ready();
  }

  run(): Promise<number> {
    return this.#processes[this.#turn++ % this.#processes.length]!.run();
  }

  close(): void {
    for (const p of this.#processes) p.close();
  }
}

/** One child process serving a contender. */
class ContenderProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  constructor(variant: 'plain' | 'secured', count: number) {
    this.#child = spawn(process.execPath, ['--import', 'tsx', THIS_FILE, 'serve', variant, String(count)], { cwd: PROJECT_ROOT });
    this.#child.stderr.pipe(process.stderr);
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  async ready(): Promise<void> {
    if ((await this.#next()) !== 'ready') throw new Error('contender did not warm up');
  }

  async run(): Promise<number> {
    this.#child.stdin.write('run\n');
    return Number(await this.#next());
  }

  close(): void {
    this.#child.stdin.end();
  }

  async #next(): Promise<string> {
    const { value, done } = await this.#lines.next();
    if (done) throw new Error('contender exited');
    return value as string;
  }
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
  const contenders = { 'plain again': new Contender('plain', count), plain: new Contender('plain', count), secured: new Contender('secured', count) };
  try {
    for (const c of Object.values(contenders)) await c.ready();
    const results = await compare(rounds, Object.fromEntries(Object.entries(contenders).map(([name, c]) => [name, () => c.run()])));
    const ratio = pairedRatio(results['secured']!.runs, results['plain']!.runs);
    const noise = pairedRatio(results['plain again']!.runs, results['plain']!.runs);
    return [
      `memory driver, ${count.toLocaleString('en')} messages, concurrency ${CONCURRENCY}, prefetch ${PREFETCH}; the handler publishes each message to another queue`,
      `  secured: the consumer runs as an actor under a group of 3 policies (every publish checked twice, a condition on actor meta); plain: no security`,
      `  ${rounds} rounds; each contender spread over ${PROCESSES} warmed-up processes of its own, asked in turn (order flips every round)`,
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
