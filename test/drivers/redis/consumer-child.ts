/**
 * A consumer in its own process, for crash and multi-process tests.
 *
 *   node --import tsx test/drivers/redis/consumer-child.ts '<json options>'
 *
 * Options: `{ url, prefix, queue, credit, handlerMs, driverId, requeueDelayMs }`.
 * Prints one JSON line per event on stdout: `{"ready":true}` once attached,
 * `{"got":"<id>"}` when a message arrives, `{"acked":"<id>"}` after its
 * handler (a sleep of `handlerMs`) and ack. With `requeueDelayMs`, a first
 * attempt (no `attempts` header) is instead requeued with `attempts: 1`
 * and that delay, then `{"requeued":"<id>"}`. Credit is returned on each
 * settle, like a consumer's worker pool would.
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
  readonly requeueDelayMs?: number;
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
      if (o.requeueDelayMs !== undefined && d.headers['attempts'] === undefined) {
        void Promise.resolve(c.requeue(d, { ...d.headers, attempts: 1 }, o.requeueDelayMs)).then(() => {
          say({ requeued: d.id });
          c.request(1);
        });
        return;
      }
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
