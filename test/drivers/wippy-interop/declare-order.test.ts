import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createRuntime } from '../../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../../src/config/load-config.ts';
import { silentLogger } from '../../../src/util/logger.ts';
import { uniqueQueueName } from '../conformance-helpers.ts';
import { AMQP_URL, destroyQueue } from '../amqp/broker-helpers.ts';
import { WippyFixture } from './wippy-fixture.ts';
import type { WippyDriverFields } from './wippy-rules.ts';

const run = promisify(execFile);

/** One YAML for both services: a driver with Wippy's queue defaults and three queues. */
function config(names: { plain: string; tuned: string; off: string }, extra = ''): string {
  return `
namespace: app
entries:
  - name: rabbit
    kind: queue.driver.amqp
    url: "${AMQP_URL}"
    connection_name: declare-order-test
    default_queue_ttl: 1h
    default_queue_expiry: 24h
    lifecycle: { auto_start: true }
  - { name: plain, kind: queue.queue, driver: app:rabbit, queue_name: ${names.plain} }
  - name: tuned
    kind: queue.queue
    driver: app:rabbit
    queue_name: ${names.tuned}
    codec: json/plain
    driver_options: { amqp: { durable: true, auto_delete: false, message_ttl: 30m, queue_expiry: 48h } }
  - name: off
    kind: queue.queue
    driver: app:rabbit
    queue_name: ${names.off}
    driver_options: { amqp: { durable: false, message_ttl: 0s, queue_expiry: 0s } }${extra}
`;
}

/** What the Wippy side reads from the same YAML: its driver fields and each queue's driver_options.amqp. */
function wippySide(yaml: string): { driver: WippyDriverFields; queues: { name: string; amqp: Record<string, unknown> }[] } {
  const doc = parse(yaml) as { entries: Record<string, unknown>[] };
  const driver = doc.entries.find((e) => e['kind'] === 'queue.driver.amqp') as WippyDriverFields;
  const queues = doc.entries
    .filter((e) => e['kind'] === 'queue.queue')
    .map((e) => ({ name: String(e['queue_name']), amqp: ((e['driver_options'] as { amqp?: Record<string, unknown> } | undefined)?.amqp ?? {}) }));
  return { driver, queues };
}

async function brokerArguments(name: string): Promise<string | undefined> {
  const { stdout } = await run('rabbitmqctl', ['list_queues', 'name', 'durable', 'arguments', '-q', '--no-table-headers']);
  return stdout.split('\n').find((l) => l.startsWith(`${name}\t`));
}

// The same YAML declared by Wippy and by actorq, in either order: the
// declare arguments must be equal, or the second declare fails.
describe('wippy and actorq declare the same queues from the same YAML, in either order', () => {
  const made: string[] = [];
  let wippy: WippyFixture | undefined;
  const names = (label: string) => {
    const n = { plain: uniqueQueueName(`${label}-plain`), tuned: uniqueQueueName(`${label}-tuned`), off: uniqueQueueName(`${label}-off`) };
    made.push(n.plain, n.tuned, n.off);
    return n;
  };

  afterAll(async () => {
    await wippy?.close();
    for (const q of made) await destroyQueue(q).catch(() => undefined);
  });

  async function actorqDeclares(yaml: string): Promise<void> {
    const runtime = createRuntime({ registry: parseConfigText(yaml, '<inline>'), logger: silentLogger });
    try {
      await runtime.start();
    } finally {
      await runtime.stop();
    }
  }

  async function wippyDeclares(yaml: string): Promise<void> {
    const side = wippySide(yaml);
    wippy = await WippyFixture.connect(AMQP_URL, side.driver);
    try {
      for (const q of side.queues) await wippy.declare(q.name, q.amqp);
    } finally {
      await wippy.close();
      wippy = undefined;
    }
  }

  it('wippy first, then actorq', async () => {
    const yaml = config(names('w-first'));
    await wippyDeclares(yaml);
    await expect(actorqDeclares(yaml)).resolves.toBeUndefined();
  }, 30_000);

  it('actorq first, then wippy; the broker holds the arguments Wippy computes', async () => {
    const n = names('a-first');
    const yaml = config(n);
    await actorqDeclares(yaml);
    await expect(wippyDeclares(yaml)).resolves.toBeUndefined();
    // Driver defaults on the queue without options; the queue's own values override them; "0s" means none.
    const plain = await brokerArguments(n.plain);
    expect(plain).toContain('\ttrue\t');
    expect(plain).toContain('{"x-message-ttl",3600000}');
    expect(plain).toContain('{"x-expires",86400000}');
    const tuned = await brokerArguments(n.tuned);
    expect(tuned).toContain('{"x-message-ttl",1800000}');
    expect(tuned).toContain('{"x-expires",172800000}');
    expect(await brokerArguments(n.off)).toBe(`${n.off}\tfalse\t[]`);
  }, 30_000);

  it("a max_length from YAML: Wippy declares no x-max-length (it reads numbers only as Go ints), and actorq's declare after it says what differs", async () => {
    const n = names('maxlen');
    const capped = uniqueQueueName('maxlen-capped');
    made.push(capped);
    const yaml = config(n, `\n  - { name: capped, kind: queue.queue, driver: app:rabbit, queue_name: ${capped}, driver_options: { amqp: { max_length: 100 } } }`);
    await wippyDeclares(yaml);
    const error = await actorqDeclares(yaml).then(
      () => undefined,
      (e: unknown) => e,
    );
    // The start fails for that queue entry, naming the field, the broker's reason and where to read more.
    expect((error as Error).message).toMatch(/app:capped.*driver_options\.amqp.*inequivalent arg 'x-max-length'.*wippy-compatibility\.md/);
  }, 30_000);
});
