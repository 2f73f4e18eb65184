import type { Driver } from '../../src/drivers/driver.ts';
import { WorkerPool, type WorkerPoolOptions } from '../../src/consumer/worker-pool.ts';
import { silentLogger } from '../../src/util/logger.ts';

/**
 * Consumes `count` messages of `queueName` through actorq's real consumer
 * hot path (the WorkerPool: prefetch buffer, `concurrency` workers, credit
 * returned in batches, one ack per message) with a trivial async handler,
 * and resolves when all are acked and the pool has drained. Benchmarks use
 * it so a driver is measured the way a runtime consumer drives it.
 */
export async function drainWithPool(
  driver: Driver,
  queueName: string,
  count: number,
  concurrency: number,
  prefetch: number,
  extra: Pick<WorkerPoolOptions, 'retry' | 'deadLetter'> = {},
): Promise<void> {
  let acked = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const pool = new WorkerPool({
    consumerId: 'bench:consumer',
    queueId: `bench:${queueName}`,
    queueName,
    driver,
    handler: async () => {
      // Counted in the handler: the ack follows synchronously when it returns.
      if (++acked === count) queueMicrotask(done);
    },
    concurrency,
    prefetch,
    ...extra,
    logger: silentLogger,
    publish: async () => {},
    info: (id) => driver.info(id),
    onFailure: (error) => {
      throw error;
    },
  });
  pool.start();
  await finished;
  pool.beginDrain();
  await pool.drained();
}
