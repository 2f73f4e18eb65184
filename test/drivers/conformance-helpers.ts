import { afterAll, beforeAll } from 'vitest';
import type { Consumption, Delivery, Driver, QueueDeclaration } from '../../src/drivers/driver.ts';

/** A unique queue name per test, so parallel and repeated runs never share state. */
export function uniqueQueueName(prefix = 'conf'): string {
  return `actorq-test-${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Collects deliveries from a consumption until `count` have arrived, failing
 * after `timeoutMs` with what did arrive (so a test shows the shortfall).
 */
export function collect(consumption: Consumption, count: number, timeoutMs = 5000): Promise<Delivery[]> {
  const got: Delivery[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`expected ${count} deliveries within ${timeoutMs}ms, got ${got.length}`));
    }, timeoutMs);
    const sub = consumption.deliveries.subscribe({
      next(batch) {
        got.push(...batch);
        if (got.length >= count) {
          clearTimeout(timer);
          queueMicrotask(() => sub.unsubscribe());
          resolve(got);
        }
      },
      error(e) {
        clearTimeout(timer);
        reject(e);
      },
    });
  });
}

/**
 * Records every delivery of a consumption from now on; `stop()` ends the
 * recording and returns what arrived.
 */
export function record(consumption: Consumption): { readonly items: Delivery[]; stop(): Delivery[] } {
  const items: Delivery[] = [];
  const sub = consumption.deliveries.subscribe((batch) => items.push(...batch));
  return {
    items,
    stop() {
      sub.unsubscribe();
      return items;
    },
  };
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * What an order check compares: the values in the order they were
 * delivered, or, for a backend that promises no order (`ordered: false`),
 * sorted, so that the check still proves each one arrived exactly once.
 */
export function asDelivered<T extends string | number>(target: { readonly ordered?: boolean }, values: readonly T[]): T[] {
  if (target.ordered !== false) return [...values];
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What {@link driverUnderTest} needs of a conformance target. */
interface DriverSource {
  create(): Promise<Driver>;
  readonly queueOptions?: Readonly<Record<string, unknown>>;
  destroyQueue?(name: string): Promise<void>;
}

/**
 * One started driver for a describe block (started before its tests,
 * stopped after, with every queue it declared destroyed), handed to `use`,
 * and a `declare` that makes a fresh uniquely named queue on it.
 */
export function driverUnderTest(target: DriverSource, label: string, idPrefix: string, use: (driver: Driver) => void): (options?: Readonly<Record<string, unknown>>) => Promise<QueueDeclaration> {
  let driver: Driver | undefined;
  const made: string[] = [];
  beforeAll(async () => {
    driver = await target.create();
    await driver.start();
    use(driver);
  });
  afterAll(async () => {
    await driver?.stop();
    if (target.destroyQueue) for (const q of made) await target.destroyQueue(q).catch(() => {});
  });
  return async (options = target.queueOptions ?? {}) => {
    const q = { id: `${idPrefix}${made.length}`, name: uniqueQueueName(label), options };
    made.push(q.name);
    await driver!.declare(q);
    return q;
  };
}
