import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import type { Handler } from '../../src/functions/handler.ts';
import { silentLogger, type Logger, type LogFields } from '../../src/util/logger.ts';

/** Options of {@link consumerYaml}. */
export interface ConsumerSpec {
  concurrency?: number;
  prefetch?: number;
  maxLength?: number;
  deadLetter?: { maxAttempts: number };
  stopTimeout?: string;
  timeout?: string;
  autoStart?: boolean;
  consumers?: number;
  /** Adds consumer `t:dc` reading the dead-letter queue with handler `t:dh`. */
  deadLetterConsumer?: boolean;
}

/**
 * One memory driver, a queue `t:q` (optionally dead-lettering to `t:dlq`)
 * and consumers `t:c` (and `t:c2`, ...) running handler `t:h`.
 */
export function consumerYaml(spec: ConsumerSpec = {}): string {
  const consumers = Array.from({ length: spec.consumers ?? 1 }, (_, i) => `
  - name: c${i === 0 ? '' : i + 1}
    kind: queue.consumer
    queue: t:q
    func: t:h
    concurrency: ${spec.concurrency ?? 1}
    prefetch: ${spec.prefetch ?? 10}
    ${spec.timeout ? `timeout: ${spec.timeout}` : ''}
    lifecycle: { auto_start: ${spec.autoStart ?? true}, stop_timeout: ${spec.stopTimeout ?? '2s'} }`).join('');
  return `
namespace: t
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - name: q
    kind: queue.queue
    driver: t:d
    driver_options: { memory: { max_length: ${spec.maxLength ?? 100000} } }
    ${spec.deadLetter ? `dead_letter: { queue: t:dlq, max_attempts: ${spec.deadLetter.maxAttempts} }` : ''}
  - { name: dlq, kind: queue.queue, driver: t:d }
${consumers}
${spec.deadLetterConsumer ? '  - { name: dc, kind: queue.consumer, queue: t:dlq, func: t:dh, lifecycle: { auto_start: true } }' : ''}
`;
}

/** A logger that keeps every record, for asserting on what was logged. */
export function recordingLogger(): Logger & { records: { level: string; message: string; fields?: LogFields }[] } {
  const records: { level: string; message: string; fields?: LogFields }[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) => void records.push({ level, message, fields });
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A runtime over inline YAML with programmatic handlers. */
export function runtimeOf(yaml: string, functions: Record<string, Handler>, logger: Logger = silentLogger): Runtime {
  return createRuntime({ registry: parseConfigText(yaml, '<test>', { extraFunctionIds: Object.keys(functions) }), functions, logger });
}

/** Polls until `check()` holds, failing after `timeoutMs` with `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A promise with its resolve function, for handlers a test holds open. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
