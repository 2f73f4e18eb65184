/**
 * A consumer in its own process, for the SIGKILL tests:
 * `node --import tsx test/drivers/amqp/consumer-child.ts <url> <queue> <prefetch> [requeue-delay=<ms>]`.
 * It takes deliveries and never settles them (as if every handler were
 * still running), printing `got <id>` per delivery, then waits to be killed.
 * With `requeue-delay=<ms>` it requeues each delivery with that delay
 * instead (attempts + 1) and prints `requeued <id> <epoch ms>` once the
 * requeue has resolved, the time being when it began.
 */
import { AmqpDriver } from '../../../src/drivers/amqp/amqp-driver.ts';
import { amqpDriverSchema, amqpQueueOptionsSchema } from '../../../src/drivers/amqp/amqp-options.ts';

const [url, queue, prefetch, mode] = process.argv.slice(2);
const requeueDelay = mode?.startsWith('requeue-delay=') ? Number(mode.slice('requeue-delay='.length)) : undefined;
if (!url || !queue) {
  process.stderr.write('usage: consumer-child.ts <url> <queue> [prefetch] [requeue-delay=<ms>]\n');
  process.exit(2);
}
const driver = new AmqpDriver(`test:child-${process.pid}`, amqpDriverSchema.parse({ url }));
await driver.start();
await driver.declare({ id: 'test:kill', name: queue, options: amqpQueueOptionsSchema.parse({}) });
const max = Number(prefetch ?? 10);
const consumption = driver.consume(queue, { consumerId: 'child', maxUnsettled: max });
consumption.deliveries.subscribe((batch) => {
  for (const d of batch) {
    process.stdout.write(`got ${d.id}\n`);
    if (requeueDelay === undefined) continue;
    const attempts = typeof d.headers['attempts'] === 'number' ? d.headers['attempts'] : 0;
    const began = Date.now();
    void Promise.resolve(consumption.requeue(d, { ...d.headers, attempts: attempts + 1 }, requeueDelay)).then(
      () => {
        process.stdout.write(`requeued ${d.id} ${began}\n`);
        consumption.request(1);
      },
      (e: unknown) => process.stdout.write(`requeue failed ${d.id} ${String(e)}\n`),
    );
  }
});
consumption.request(max);
process.stdout.write('ready\n');
// Keep running until killed.
setInterval(() => undefined, 60_000);
