/**
 * A consumer in its own process, for the SIGKILL test:
 * `node --import tsx test/drivers/amqp/consumer-child.ts <url> <queue> <prefetch>`.
 * It takes deliveries and never settles them (as if every handler were
 * still running), printing `got <id>` per delivery, then waits to be killed.
 */
import { AmqpDriver } from '../../../src/drivers/amqp/amqp-driver.ts';
import { amqpDriverSchema, amqpQueueOptionsSchema } from '../../../src/drivers/amqp/amqp-options.ts';

const [url, queue, prefetch] = process.argv.slice(2);
if (!url || !queue) {
  process.stderr.write('usage: consumer-child.ts <url> <queue> [prefetch]\n');
  process.exit(2);
}
const driver = new AmqpDriver(`test:child-${process.pid}`, amqpDriverSchema.parse({ url }));
await driver.start();
await driver.declare({ id: 'test:kill', name: queue, options: amqpQueueOptionsSchema.parse({}) });
const max = Number(prefetch ?? 10);
const consumption = driver.consume(queue, { consumerId: 'child', maxUnsettled: max });
consumption.deliveries.subscribe((batch) => {
  for (const d of batch) process.stdout.write(`got ${d.id}\n`);
});
consumption.request(max);
process.stdout.write('ready\n');
// Keep running until killed.
setInterval(() => undefined, 60_000);
