/**
 * An SQS consumer in its own process, for crash tests.
 *
 *   node --import tsx test/drivers/sqs/consumer-child.ts '<json options>'
 *
 * Options: `{ endpoint, queue, credit, handlerMs, visibility }`. Prints one
 * JSON line per event on stdout: `{"ready":true}` once attached,
 * `{"got":"<id>"}` when a message arrives, `{"handled":"<id>"}` when its
 * handler (a sleep of `handlerMs`) ends, `{"acked":"<id>"}` once it is
 * deleted. Credit is returned on
 * each settle, as a consumer's worker pool would.
 */
import { makeDriver } from './sqs-test-env.ts';

interface ChildOptions {
  readonly endpoint: string;
  readonly queue: string;
  readonly credit: number;
  readonly handlerMs: number;
  readonly visibility: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const say = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');

const driver = makeDriver(o.endpoint, {}, `child:${process.pid}`);
await driver.start();
await driver.declare({ id: 'child:q', name: o.queue, options: { visibility_timeout: o.visibility, wait_time: 1 } });
const c = driver.consume(o.queue, { consumerId: `child-${process.pid}`, maxUnsettled: o.credit });
// One handler at a time (concurrency 1, prefetch `credit`): most of what it holds waits, unhandled.
let tail = Promise.resolve();
c.deliveries.subscribe((batch) => {
  for (const d of batch) {
    say({ got: d.id });
    tail = tail.then(async () => {
      await new Promise((r) => setTimeout(r, o.handlerMs));
      say({ handled: d.id });
      void Promise.resolve(c.ack(d)).then(() => {
        say({ acked: d.id });
        c.request(1);
      });
    });
  }
});
c.request(o.credit);
say({ ready: true });
