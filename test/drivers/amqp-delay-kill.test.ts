import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import type { AmqpDriver } from '../../src/drivers/amqp/amqp-driver.ts';
import { amqpQueueOptionsSchema } from '../../src/drivers/amqp/amqp-options.ts';
import { delayLevel, delayQueueName } from '../../src/drivers/amqp/delay-ladder.ts';
import type { Delivery } from '../../src/drivers/driver.ts';
import { eventually, uniqueQueueName } from './conformance-helpers.ts';
import { AMQP_URL, destroyQueueAndDelays, makeDriver, withRawChannel } from './amqp/broker-helpers.ts';

const DELAY_MS = 4000;

describe('amqp consumer process killed with SIGKILL while messages wait in delay', () => {
  const queue = uniqueQueueName('delay-kill');
  let driver: AmqpDriver | undefined;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    child?.kill('SIGKILL');
    await driver?.stop();
    await destroyQueueAndDelays(queue).catch(() => undefined);
  });

  it('loses none: retries it had put in delay and delayed publishes come back when due', async () => {
    driver = makeDriver();
    await driver.start();
    await driver.declare({ id: 'test:delay-kill', name: queue, options: amqpQueueOptionsSchema.parse({}) });
    const retried = Array.from({ length: 8 }, (_, i) => `r${i}`);
    await driver.publish(queue, retried.map((id) => ({ id, body: { id }, headers: {} })));

    // The child takes the 8 and requeues each with a 4 s backoff.
    child = spawn(process.execPath, ['--import', 'tsx', 'test/drivers/amqp/consumer-child.ts', AMQP_URL, queue, '8', `requeue-delay=${DELAY_MS}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const began = new Map<string, number>();
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = /^requeued (\S+) (\d+)$/.exec(line);
      if (m) began.set(m[1]!, Number(m[2]));
    });
    // Generous: starting a tsx child on a busy machine takes seconds.
    await eventually(() => began.size === 8, 30_000, 'child to requeue 8 messages with a delay').catch((e: Error) => {
      throw new Error(`${e.message}; child said: ${lines.join(' | ')}`);
    });

    const publishedAt = Date.now();
    await driver.publish(queue, ['p0', 'p1', 'p2'].map((id) => ({ id, body: { id }, headers: {} })), { delayMs: DELAY_MS });

    // Everything waits in the delay queue of the level; nothing is ready or held.
    const level = delayQueueName(queue, delayLevel(DELAY_MS));
    expect(await withRawChannel(async (ch) => (await ch.checkQueue(level)).messageCount)).toBe(11);
    expect(await driver.info(queue)).toMatchObject({ ready: 0, delayed: 11 });
    expect(lines.filter((l) => l.startsWith('got ')).length).toBe(8);

    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const c = driver.consume(queue, { consumerId: 'survivor', maxUnsettled: 20 });
    const at = new Map<string, number>();
    const got: Delivery[] = [];
    c.deliveries.subscribe((batch) => {
      for (const d of batch) {
        at.set(d.id, Date.now());
        got.push(d);
      }
    });
    c.request(20);
    await eventually(() => got.length >= 11, delayLevel(DELAY_MS) + 10_000, 'all 11 back from the delay queue');
    expect(got.map((d) => d.id).sort()).toEqual([...retried, 'p0', 'p1', 'p2'].sort());
    for (const id of retried) {
      expect(at.get(id)! - began.get(id)!).toBeGreaterThanOrEqual(DELAY_MS);
      expect(got.find((d) => d.id === id)!.headers['attempts']).toBe(1);
    }
    for (const id of ['p0', 'p1', 'p2']) expect(at.get(id)! - publishedAt).toBeGreaterThanOrEqual(DELAY_MS);
    for (const d of got) await c.ack(d);
    await eventually(async () => (await driver!.info(queue)).message_count === 0, 5000, 'queue empty');
    expect((await driver.info(queue)).delayed).toBe(0);
    await c.cancel();
  }, 60_000);
});
