import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import type { NatsDriver } from '../../src/drivers/nats/nats-driver.ts';
import { defaultStreamName } from '../../src/drivers/nats/nats-names.ts';
import { NotFoundError } from '../../src/errors/not-found-error.ts';
import { adminConnection, destroyQueue, makeDriver, NATS_URL } from '../drivers/nats/nats-test-env.ts';
import { collect, eventually, sleep, uniqueQueueName } from '../drivers/conformance-helpers.ts';
import { describeQueueAdmin, ids, msg } from './queue-admin-suite.ts';

// The admin tools of the NATS driver against the real server on loopback:
// the shared suite, then what is particular to JetStream (in-flight and
// delayed messages are neither read, purged nor taken; nothing a browse
// does changes the consumer).

/** Publishes bytes on a queue's subject as another program would (no actorq headers). */
async function storeForeign(queue: string, text: string): Promise<void> {
  const { nc, js } = await adminConnection();
  try {
    await js.publish(queue, text);
  } finally {
    await nc.close();
  }
}

describeQueueAdmin({
  label: 'nats',
  create: () => makeDriver(),
  destroy: async (names) => {
    for (const n of names) await destroyQueue(n);
  },
  storeForeign,
  canGoMidVisit: true,
  infoSeesDelayed: false,
});

describe('nats driver admin on JetStream', { timeout: 30_000 }, () => {
  let driver: NatsDriver;
  const made: string[] = [];
  const declare = async (): Promise<string> => {
    const name = uniqueQueueName('admin-nats-js');
    made.push(name);
    await driver.declare({ id: `test:${name}`, name, options: {} });
    return name;
  };

  beforeAll(async () => {
    driver = makeDriver();
    await driver.start();
  });
  afterAll(async () => {
    await driver.stop();
    for (const n of made) await destroyQueue(n);
  });

  /** The stream's message count and the consumer's delivered sequence, straight from the server. */
  const serverState = async (name: string): Promise<{ messages: number; delivered: number; pending: number }> => {
    const { nc, jsm } = await adminConnection();
    try {
      const stream = defaultStreamName(name);
      const [si, ci] = await Promise.all([jsm.streams.info(stream), jsm.consumers.info(stream, 'actorq')]);
      return { messages: si.state.messages, delivered: ci.delivered.stream_seq, pending: ci.num_ack_pending };
    } finally {
      await nc.close();
    }
  };

  it('in-flight and delayed messages are neither peeked, purged nor taken; only ready ones go', async () => {
    const q = await declare();
    await driver.publish(q, [1, 2, 3].map(msg));
    await driver.publish(q, [msg(8)], { delayMs: 60_000 });
    await driver.publish(q, [4, 5].map(msg));
    const c = driver.consume(q, { consumerId: 'test:c', maxUnsettled: 2 });
    c.request(2);
    const held = await collect(c, 2);
    expect(held.map((d) => d.id)).toEqual(['m1', 'm2']);

    expect(ids(await driver.admin.peek(q, 10))).toEqual(['m3', 'm4', 'm5']);
    const visited: string[] = [];
    const walk = await driver.admin.removeEach(q, 10, async (e) => {
      visited.push(ids([e])[0]!);
      return 'keep';
    });
    expect(walk).toEqual({ visited: 3, removed: 0, gone: 0 });
    expect(visited).toEqual(['m3', 'm4', 'm5']);

    expect(await driver.admin.purge(q)).toBe(3);
    expect(await serverState(q)).toEqual({ messages: 3, delivered: 2, pending: 2 });
    expect(await driver.admin.peek(q, 10)).toEqual([]);
    // The held ones are still the consumer's: their acks remove them.
    for (const d of held) await c.ack(d);
    await eventually(async () => (await serverState(q)).messages === 1, 5000, 'only the delayed one left');
    await c.cancel();
  });

  it('a walk neither deletes nor visits what a consumer took during a visit and still holds', async () => {
    const q = await declare();
    await driver.publish(q, [1, 2, 3].map(msg));
    const c = driver.consume(q, { consumerId: 'test:c', maxUnsettled: 2 });
    const visited: string[] = [];
    let held: Awaited<ReturnType<typeof collect>> = [];
    const result = await driver.admin.removeEach(q, 10, async (e) => {
      visited.push(ids([e])[0]!);
      if (visited.length === 1) {
        // While m1 is visited, a consumer takes m1 and m2 and works on them.
        c.request(2);
        held = await collect(c, 2);
      }
      return 'remove';
    });
    expect(held.map((d) => d.id)).toEqual(['m1', 'm2']);
    expect(visited).toEqual(['m1', 'm3']);
    expect(result).toEqual({ visited: 2, removed: 1, gone: 1 });
    // m1 and m2 are still stored, the consumer's to settle.
    expect(await serverState(q)).toEqual({ messages: 2, delivered: 2, pending: 2 });
    for (const d of held) await c.ack(d);
    await eventually(async () => (await serverState(q)).messages === 0, 5000, 'acks remove them');
    await c.cancel();
  });

  it('peek and a keeping walk change nothing on the server: no delivery, no redelivery', async () => {
    const q = await declare();
    await driver.publish(q, [1, 2, 3].map(msg));
    const before = await serverState(q);
    await driver.admin.peek(q, 10);
    await driver.admin.removeEach(q, 10, async () => 'keep');
    expect(await serverState(q)).toEqual(before);
    expect(before).toEqual({ messages: 3, delivered: 0, pending: 0 });
  });

  it('purge goes page by page through a queue longer than a page, in order, leaving delayed ones between', async () => {
    const q = await declare();
    const batch = Array.from({ length: 250 }, (_, i) => msg(i));
    await driver.publish(q, batch.slice(0, 120));
    await driver.publish(q, [{ id: 'late', body: { late: true }, headers: {} }], { delayMs: 60_000 });
    await driver.publish(q, batch.slice(120));
    expect(ids(await driver.admin.peek(q, 2))).toEqual(['m0', 'm1']);
    expect(await driver.admin.purge(q)).toBe(250);
    expect((await serverState(q)).messages).toBe(1);
    expect(await driver.admin.peek(q, 10)).toEqual([]);
  });

  it('a delayed message becomes visible once due', async () => {
    const q = await declare();
    await driver.publish(q, [msg(1)], { delayMs: 300 });
    expect(await driver.admin.peek(q, 10)).toEqual([]);
    await sleep(350);
    expect(ids(await driver.admin.peek(q, 10))).toEqual(['m1']);
  });

  it('a foreign message keeps the ID a consumer would see (<stream>:<sequence>)', async () => {
    const q = await declare();
    await storeForeign(q, '{"from":"elsewhere"}');
    const [entry] = await driver.admin.peek(q, 1);
    expect(entry).toEqual({ kind: 'message', message: { id: `${defaultStreamName(q)}:1`, body: { from: 'elsewhere' }, headers: {} } });
  });

  it('a stream deleted on the server is made again (empty), like info() does', async () => {
    const q = await declare();
    await driver.publish(q, [msg(1)]);
    const { nc, jsm } = await adminConnection();
    await jsm.streams.delete(defaultStreamName(q));
    await nc.close();
    expect(await driver.admin.peek(q, 10)).toEqual([]);
    expect(await driver.admin.purge(q)).toBe(0);
  });

  it('rejects an undeclared queue and a stopped driver', async () => {
    await expect(driver.admin.peek(uniqueQueueName('admin-nats-none'), 1)).rejects.toBeInstanceOf(NotFoundError);
    const other = makeDriver();
    await other.start();
    const q = uniqueQueueName('admin-nats-stopped');
    made.push(q);
    await other.declare({ id: `test:${q}`, name: q, options: {} });
    await other.stop();
    await expect(other.admin.purge(q)).rejects.toMatchObject({ code: 'DRIVER_STOPPED' });
  });
});

describe('ops commands on nats (no CLI change)', { timeout: 60_000 }, () => {
  let dir: string;
  let config: string;
  const base = uniqueQueueName('ops-nats');
  const names = { tasks: `${base}-tasks`, dead: `${base}-dead` };
  const queues = [
    `  - name: broker\n    kind: queue.driver.nats\n    servers: ${NATS_URL}\n`,
    // The default duplicate window (2 minutes) is still open when the replay
    // runs: a copy under the original's ID is kept only because the replay
    // gives it a deduplication key of its own.
    `  - name: tasks\n    kind: queue.queue\n    driver: app:broker\n    queue_name: ${names.tasks}\n    dead_letter: { queue: app:dead, max_attempts: 2 }\n`,
    `  - name: dead\n    kind: queue.queue\n    driver: app:broker\n    queue_name: ${names.dead}\n`,
  ].join('');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'actorq-ops-nats-'));
    config = join(dir, 'ops.yaml');
    writeFileSync(config, `namespace: app\nentries:\n${queues}`);
  });
  afterAll(async () => {
    for (const n of Object.values(names)) await destroyQueue(n);
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string; lines: string[] }> => {
    let out = '';
    let err = '';
    const code = await main(argv, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
    return { code, out, err, lines: out.split('\n').filter((l) => l !== '') };
  };
  const bodies = (lines: readonly string[]) => lines.map((l) => (JSON.parse(l) as { body: unknown }).body);

  it('peek browses, dead-letters list and replay move real dead letters back, purge empties', async () => {
    const workerConfig = join(dir, 'worker.yaml');
    writeFileSync(workerConfig, `namespace: app\nentries:\n${queues}  - name: worker\n    kind: queue.consumer\n    queue: app:tasks\n    func: app:failing\n    lifecycle: { auto_start: true }\n`);
    const worker = createRuntime({ files: [workerConfig], functions: { 'app:failing': async () => Promise.reject(new Error('boom')) } });
    await worker.start();
    await worker.publishBatch('app:tasks', [1, 2, 3].map((t) => ({ t })));
    await eventually(async () => (await worker.info('app:dead')).ready === 3, 20_000, 'three dead letters');
    await worker.stop();

    const list = await cli('dead-letters', config, 'app:tasks', 'list');
    expect(list.code).toBe(0);
    expect(list.lines).toHaveLength(3);
    for (const line of list.lines) expect(JSON.parse(line).headers).toMatchObject({ x_original_queue: 'app:tasks', x_dead_letter_reason: 'boom', attempts: 2 });
    const replay = await cli('dead-letters', config, 'app:tasks', 'replay');
    expect(replay.code).toBe(0);
    expect(replay.out).toContain('replayed 3 dead letters of app:tasks in app:dead: 3 to app:tasks (attempts reset)');
    expect((await cli('peek', config, 'app:dead', '-n', '10')).lines).toEqual([]);

    const peek = await cli('peek', config, 'app:tasks', '-n', '10');
    expect(peek.code).toBe(0);
    expect(peek.err).not.toContain('cannot read without taking');
    expect(bodies(peek.lines).map((b) => (b as { t: number }).t).sort()).toEqual([1, 2, 3]);
    for (const line of peek.lines) expect(JSON.parse(line).headers).not.toHaveProperty('attempts');

    const purge = await cli('purge', config, 'app:tasks', '--yes');
    expect(purge.code).toBe(0);
    expect(purge.out).toContain('purged 3 ready messages from app:tasks');
    expect((await cli('peek', config, 'app:tasks', '-n', '10')).lines).toEqual([]);
  });
});
