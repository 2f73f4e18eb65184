/**
 * A NATS consumer in its own process, for crash and multi-process tests.
 *
 *   node --import tsx test/drivers/nats/consumer-child.ts '<json options>'
 *
 * Options: `{ url, queue, ackWait, credit, handlerMs }`. Declares the queue
 * (as every process of a deployment does), then prints one JSON line per
 * event on stdout: `{"ready":true}` once attached, `{"got":"<id>"}` when a
 * message arrives, `{"acked":"<id>"}` after its handler (a sleep of
 * `handlerMs`) and ack. Credit is returned on each ack, like a consumer's
 * worker pool would.
 */
import { NatsDriver } from '../../../src/drivers/nats/nats-driver.ts';
import { natsDriverOptionsSchema, natsQueueOptionsSchema } from '../../../src/drivers/nats/nats-options.ts';

interface ChildOptions {
  readonly url: string;
  readonly queue: string;
  readonly ackWait: string;
  readonly credit: number;
  readonly handlerMs: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const say = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');

const driver = new NatsDriver(`child:${process.pid}`, natsDriverOptionsSchema.parse({ servers: o.url }));
await driver.start();
await driver.declare({ id: 'app:q', name: o.queue, options: natsQueueOptionsSchema.parse({ ack_wait: o.ackWait }) });
const c = driver.consume(o.queue, { consumerId: 'shared', maxUnsettled: o.credit });
c.deliveries.subscribe((batch) => {
  for (const d of batch) {
    say({ got: d.id });
    setTimeout(() => {
      c.ack(d);
      say({ acked: d.id });
      c.request(1);
    }, o.handlerMs);
  }
});
c.request(o.credit);
say({ ready: true });

process.on('SIGTERM', () => {
  void c.cancel().then(() => driver.stop()).then(() => process.exit(0));
});
