import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import type { Handler } from '../../src/functions/handler.ts';
import type { RuntimeStatusEvent } from '../../src/runtime/runtime-events.ts';
import { deletePrefix, REDIS_URL } from '../drivers/redis/redis-test-env.ts';
import { AMQP_URL, destroyQueue } from '../drivers/amqp/broker-helpers.ts';
import { natsRuntimeTarget } from '../drivers/nats/nats-test-env.ts';
import { sqsRuntimeTarget } from '../drivers/sqs/sqs-runtime-target.ts';

/**
 * A backend the model-based and property suites run the whole runtime on,
 * like the driver conformance targets but as YAML: each run gets unique
 * queue names (and a unique Redis key prefix) and cleans up after itself.
 */
export interface RuntimeTarget {
  readonly name: string;
  /** YAML lines of the driver entry (after `kind:`), indented for an entry. */
  driverFields(run: string): string;
  /** Starts what the target needs (a private server), once; the suites call it in `beforeAll`. */
  prepare?(): Promise<void>;
  /** Removes what a run left on the backend. */
  cleanup(run: string, queueNames: readonly string[]): Promise<void>;
}

const WANTED = (process.env['ACTORQ_TEST_DRIVERS'] ?? 'memory,redis,amqp,nats,sqs').split(',');

/**
 * Every backend available here: memory, Redis, RabbitMQ, NATS JetStream and
 * SQS (a private fauxqs, started by `prepare()`);
 * narrow the list with ACTORQ_TEST_DRIVERS (comma-separated names).
 */
export const RUNTIME_TARGETS: readonly RuntimeTarget[] = (<RuntimeTarget[]>[
  { name: 'memory', driverFields: () => 'kind: queue.driver.memory', cleanup: async () => {} },
  {
    name: 'redis',
    driverFields: (run) => `kind: queue.driver.redis\n    url: ${REDIS_URL}\n    key_prefix: "actorq-test:model:${run}:"\n    reconnect_delay: 50ms`,
    cleanup: (run) => deletePrefix(`actorq-test:model:${run}:`),
  },
  {
    name: 'amqp',
    driverFields: () => `kind: queue.driver.amqp\n    url: ${AMQP_URL}\n    reconnect_delay: 100ms`,
    cleanup: async (_run, names) => {
      for (const n of names) await destroyQueue(n).catch(() => {});
    },
  },
  natsRuntimeTarget,
  sqsRuntimeTarget(),
]).filter((t) => WANTED.includes(t.name));

/** Shape of the one consumer the harness configures. */
export interface HarnessOptions {
  readonly concurrency?: number;
  readonly prefetch?: number;
  /** ms. @default 2000 */
  readonly stopTimeout?: number;
  /** Dead-letter after this many nacks; none when undefined. */
  readonly maxAttempts?: number;
  readonly consumerAutoStart?: boolean;
  /** ms between consumer restarts. @default 10 */
  readonly restartDelay?: number;
  /** The consumer's per-message handler `timeout` in ms; none when undefined. */
  readonly timeout?: number;
}

/** A runtime under test, its IDs, and everything it reported on `events$`. */
export interface Harness {
  readonly runtime: Runtime;
  readonly ids: { readonly driver: string; readonly queue: string; readonly dead: string; readonly consumer: string };
  readonly events: RuntimeStatusEvent[];
  /** Lifecycle states an entry went through since `mark()`. */
  trace(id: string): string[];
  mark(): void;
  dispose(): Promise<void>;
}

let counter = 0;

/** Builds a runtime with one driver, a queue and its dead-letter queue, and one consumer running `handler`. */
export function makeHarness(target: RuntimeTarget, handler: Handler, o: HarnessOptions = {}): Harness {
  const run = `${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const qname = `mbt_${run.replace(/\W/g, '_')}`;
  const deadLetter = o.maxAttempts === undefined ? '' : `\n    dead_letter:\n      queue: mbt:dead\n      max_attempts: ${o.maxAttempts}`;
  const yaml = `namespace: mbt
entries:
  - name: driver
    ${target.driverFields(run)}
    lifecycle:
      auto_start: true
      stop_timeout: 5s
  - name: jobs
    kind: queue.queue
    driver: mbt:driver
    queue_name: ${qname}${deadLetter}
    lifecycle:
      auto_start: true
  - name: dead
    kind: queue.queue
    driver: mbt:driver
    queue_name: ${qname}_dead
    lifecycle:
      auto_start: true
  - name: consumer
    kind: queue.consumer
    queue: mbt:jobs
    func: mbt:handler
    concurrency: ${o.concurrency ?? 1}
    prefetch: ${o.prefetch ?? 1}${o.timeout === undefined ? '' : `\n    timeout: ${o.timeout}ms`}
    lifecycle:
      auto_start: ${o.consumerAutoStart ?? false}
      stop_timeout: ${o.stopTimeout ?? 2000}ms
      restart:
        initial_delay: ${o.restartDelay ?? 10}ms
        max_delay: ${o.restartDelay ?? 10}ms
        jitter: 0
`;
  const registry = parseConfigText(yaml, '<inline>', { extraFunctionIds: ['mbt:handler'] });
  const runtime = createRuntime({ registry, functions: { 'mbt:handler': handler }, logger: silentLogger });
  const events: RuntimeStatusEvent[] = [];
  const sub = runtime.events$.subscribe((e) => events.push(e));
  let from = 0;
  return {
    runtime,
    ids: { driver: 'mbt:driver', queue: 'mbt:jobs', dead: 'mbt:dead', consumer: 'mbt:consumer' },
    events,
    mark: () => void (from = events.length),
    trace: (id) => events.slice(from).flatMap((e) => (e.type === 'lifecycle' && e.id === id ? [e.state] : [])),
    async dispose() {
      await runtime.stop().catch(() => {});
      sub.unsubscribe();
      await target.cleanup(run, [qname, `${qname}_dead`]);
    },
  };
}

// One copy of each, in the testing kit; re-exported for the suites that import them from here.
export { until } from '../../src/testing/until.ts';
export { GatedHandler } from '../../src/testing/gated-handler.ts';
