import { afterAll, describe, expect, it, beforeAll } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { InvalidMessageError, MessageTooLargeError } from '../../src/errors/message-errors.ts';
import { defaultHeadersBytes } from '../../src/message/json-size.ts';
import { RUNTIME_TARGETS, type RuntimeTarget } from '../model/runtime-targets.ts';
import { until } from '../support/runtime-kit.ts';
import { BAD_BODIES, GOOD_BODIES } from './body-cases.ts';

/** The queue's limit in these tests (small, so a message over it is cheap to build). */
const LIMIT = 4096;

interface Setup {
  readonly runtime: Runtime;
  readonly received: unknown[];
  dispose(): Promise<void>;
}

let counter = 0;

/** A runtime on `target` with queue `t:q` (max_message_size LIMIT) and a consumer recording bodies. */
async function setup(target: RuntimeTarget): Promise<Setup> {
  const run = `${process.pid}-${Date.now().toString(36)}-body-${counter++}`;
  const qname = `body_${run.replace(/\W/g, '_')}`;
  const received: unknown[] = [];
  const yaml = `namespace: t
entries:
  - name: d
    ${target.driverFields(run)}
    lifecycle: { auto_start: true, stop_timeout: 5s }
  - { name: q, kind: queue.queue, driver: t:d, queue_name: ${qname}, max_message_size: ${LIMIT} }
  - { name: c, kind: queue.consumer, queue: t:q, func: t:h, prefetch: 50, lifecycle: { auto_start: true } }
`;
  const registry = parseConfigText(yaml, '<inline>', { extraFunctionIds: ['t:h'] });
  const runtime = createRuntime({ registry, functions: { 't:h': async (body) => void received.push(body) }, logger: silentLogger });
  await runtime.start();
  return {
    runtime,
    received,
    async dispose() {
      await runtime.stop().catch(() => undefined);
      await target.cleanup(run, [qname]);
    },
  };
}

describe.each(RUNTIME_TARGETS.map((t) => [t.name, t] as const))('one body rule and one size limit on the %s driver', (_name, target) => {
  beforeAll(() => target.prepare?.());
  const setups: Setup[] = [];
  const make = async () => {
    const s = await setup(target);
    setups.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of setups) await s.dispose();
    // Stopping runtimes and deleting queues can take a while on a loaded machine; a cut-short hook would leave queues behind.
  }, 60_000);

  it('refuses every non-JSON body with InvalidMessageError naming the path, storing nothing', async () => {
    const { runtime } = await make();
    for (const c of BAD_BODIES) {
      const single = runtime.publish('t:q', c.body());
      await expect(single, c.name).rejects.toBeInstanceOf(InvalidMessageError);
      await expect(single, c.name).rejects.toThrow(`publish to t:q: ${c.error}`);
      // One bad body in a batch refuses the whole batch.
      await expect(runtime.publishBatch('t:q', [{ ok: 1 }, c.body()]), c.name).rejects.toThrow(`publish to t:q: ${c.error.replace(/(^|to )body/g, '$1bodies[1]')}`);
    }
    // The ack reaches a broker after the handler returns: wait for it rather than race it.
    await until(async () => (await runtime.info('t:q')).message_count === 0, 'nothing left on the queue', 10_000);
  });

  it('delivers every JSON body exactly as published', async () => {
    const { runtime, received } = await make();
    for (const c of GOOD_BODIES) await runtime.publish('t:q', c.body);
    await until(() => received.length === GOOD_BODIES.length, `${GOOD_BODIES.length} deliveries`, 10_000);
    // One consumer, one queue: FIFO on every driver.
    expect(received).toEqual(GOOD_BODIES.map((c) => c.body));
  });

  it('accepts a message of exactly max_message_size bytes and refuses one byte more, single or in a batch', async () => {
    const { runtime, received } = await make();
    const headerBytes = defaultHeadersBytes(Math.floor(Date.now() / 1000));
    const fits = { text: 'x'.repeat(LIMIT - headerBytes - '{"text":""}'.length) };
    const over = { text: `${fits.text}é` }; // two bytes in UTF-8: one over is enough, two shows bytes not characters
    const error = (e: unknown) => e as MessageTooLargeError;
    const refused = await runtime.publish('t:q', over).catch(error);
    expect(refused).toBeInstanceOf(MessageTooLargeError);
    expect(refused).toMatchObject({ code: 'MESSAGE_TOO_LARGE', size: LIMIT + 2, limit: LIMIT });
    await expect(runtime.publishBatch('t:q', [fits, over])).rejects.toBeInstanceOf(MessageTooLargeError);
    // Headers count too.
    await expect(runtime.publish('t:q', { text: fits.text.slice(10) }, { headers: { note: 'x'.repeat(40) } })).rejects.toBeInstanceOf(MessageTooLargeError);
    await runtime.publish('t:q', fits);
    await until(() => received.length === 1, 'the message that fits', 10_000);
    expect(received).toEqual([fits]);
    // The ack reaches a broker after the handler returns: wait for it rather than race it.
    await until(async () => (await runtime.info('t:q')).message_count === 0, 'nothing left on the queue', 10_000);
  });
});
