/**
 * How much the inspector slows a busy consumer: the same run (memory
 * driver, concurrency 10, prefetch 100, trivial async handler) without an
 * inspector and with the real Stately inspector bridge (WebSocket,
 * payloads sanitized), several rounds, medians. Target: ratio < 2.
 *
 * Run: `npx tsx test/bench/inspect-bench.ts`, or import {@link inspectBench}.
 */
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type RuntimeOptions } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { startInspector } from '../../src/inspect/inspector-server.ts';
import { sanitizingObserver } from '../../src/inspect/sanitize-inspection.ts';

const YAML = `namespace: bench
entries:
  - { name: mem, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: bench:mem, driver_options: { memory: { max_length: 1000000 } } }
  - { name: c, kind: queue.consumer, queue: bench:q, func: bench:h, concurrency: 10, prefetch: 100, lifecycle: { auto_start: true } }
`;

async function oneRun(messages: number, inspect: RuntimeOptions['inspect']): Promise<number> {
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const registry = parseConfigText(YAML, '<inline>', { extraFunctionIds: ['bench:h'] });
  const runtime = createRuntime({
    registry,
    logger: silentLogger,
    inspect,
    functions: { 'bench:h': async () => void (++done === messages && finish()) },
  });
  await runtime.start();
  const started = performance.now();
  const bodies = Array.from({ length: 1000 }, (_, i) => ({ i }));
  for (let sent = 0; sent < messages; sent += bodies.length) await runtime.publishBatch('bench:q', bodies);
  await all;
  const ms = performance.now() - started;
  await runtime.stop();
  return (messages / ms) * 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs the comparison and returns printable lines (last: the ratio). */
export async function inspectBench(options: { messages?: number; rounds?: number; port?: number } = {}): Promise<string[]> {
  const messages = options.messages ?? 50_000;
  const rounds = options.rounds ?? 5;
  const inspector = await startInspector({ port: options.port ?? 5799 });
  const plain: number[] = [];
  const inspected: number[] = [];
  try {
    await oneRun(5_000, undefined); // warm-up
    for (let r = 0; r < rounds; r++) {
      plain.push(await oneRun(messages, undefined));
      inspected.push(await oneRun(messages, sanitizingObserver(inspector.inspect)));
    }
  } finally {
    inspector.stop();
  }
  const p = median(plain);
  const i = median(inspected);
  return [
    `inspect bench: ${messages} messages x ${rounds} rounds, memory driver, concurrency 10, prefetch 100`,
    `  without inspector: ${Math.round(p).toLocaleString('en')} msg/s (median)`,
    `  with inspector:    ${Math.round(i).toLocaleString('en')} msg/s (median)`,
    `  slowdown: ${(p / i).toFixed(2)}x (target < 2x)`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await inspectBench()) console.log(line);
}
