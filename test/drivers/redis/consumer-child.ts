/**
 * A consumer in its own process, for crash and multi-process tests.
 *
 *   node --import tsx test/drivers/redis/consumer-child.ts '<json options>'
 *
 * Options: `{ url, prefix, queue, credit, handlerMs, driverId }`. Prints one
 * JSON line per event on stdout: `{"ready":true}` once attached,
 * `{"got":"<id>"}` when a message arrives, `{"acked":"<id>"}` after its
 * handler (a sleep of `handlerMs`) and ack. Credit is returned on each ack,
 * like a consumer's worker pool would.
 */
import { RedisDriver } from '../../../src/drivers/redis/redis-driver.ts';
import { redisDriverOptionsSchema } from '../../../src/drivers/redis/redis-kind.ts';

interface ChildOptions {
  readonly url: string;
  readonly prefix: string;
  readonly queue: string;
  readonly credit: number;
  readonly handlerMs: number;
  readonly driverId?: string;
}

const o = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const say = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');

const driver = new RedisDriver(o.driverId ?? `child:${process.pid}`, redisDriverOptionsSchema.parse({ url: o.url, key_prefix: o.prefix }));
await driver.start();
const c = driver.consume(o.queue, { consumerId: `child-${process.pid}`, maxUnsettled: o.credit });
c.deliveries.subscribe((batch) => {
  for (const d of batch) {
    say({ got: d.id });
    setTimeout(() => {
      void Promise.resolve(c.ack(d)).then(() => {
        say({ acked: d.id });
        c.request(1);
      });
    }, o.handlerMs);
  }
});
c.request(o.credit);
say({ ready: true });

process.on('SIGTERM', () => {
  void c.cancel().then(() => driver.stop()).then(() => process.exit(0));
});
