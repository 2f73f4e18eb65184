import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, uniqueQueueName } from './conformance-helpers.ts';
import { deleteQueue, makeDriver, sharedFauxqs } from './sqs/sqs-test-env.ts';

/*
 * At-least-once across a crash: a consumer process is SIGKILLed while it
 * holds messages (received, some being handled); after their visibility
 * timeout a new process receives and handles every one of them.
 */
const { server, stopServer } = sharedFauxqs();
const CHILD = fileURLToPath(new URL('./sqs/consumer-child.ts', import.meta.url));

function spawnConsumer(options: Record<string, unknown>) {
  const proc = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', CHILD, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const got: string[] = [];
  const handled: string[] = [];
  const acked: string[] = [];
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const e = JSON.parse(line) as { ready?: true; got?: string; handled?: string; acked?: string };
    if (e.ready) onReady();
    if (e.got !== undefined) got.push(e.got);
    if (e.handled !== undefined) handled.push(e.handled);
    if (e.acked !== undefined) acked.push(e.acked);
  });
  // The whole output has been read once stdout closes (the exit event may come first).
  const exited = new Promise<void>((r) => proc.stdout.once('close', () => r()));
  return { proc, got, handled, acked, ready, exited };
}

afterAll(() => stopServer(), 30_000);

describe('sqs consumer killed mid-run', { timeout: 90_000 }, () => {
  it('after the visibility timeout a new process handles everything the dead one held', async () => {
    const { endpoint } = await server();
    const queue = uniqueQueueName('sqskill');
    const publisher = makeDriver(endpoint);
    await publisher.start();
    try {
      await publisher.declare({ id: 'k:q', name: queue, options: { visibility_timeout: 3, wait_time: 1 } });
      const total = 60;
      const ids = Array.from({ length: total }, (_, i) => `m${i}`);
      await publisher.publish(queue, ids.map((id, i) => ({ id, body: i, headers: {} })));

      // One handler at a time, 20 messages held: most of them wait unhandled when it dies.
      const first = spawnConsumer({ endpoint, queue, credit: 20, handlerMs: 50, visibility: 3 });
      await first.ready;
      await eventually(() => first.acked.length >= 5, 30_000, 'the first consumer busy');
      first.proc.kill('SIGKILL');
      await first.exited;
      // Received and not yet handled when it died (a delete may have been on its way for the handled ones).
      const held = first.got.filter((id) => !first.handled.includes(id));
      expect(held.length).toBeGreaterThan(0);

      const second = spawnConsumer({ endpoint, queue, credit: 20, handlerMs: 0, visibility: 3 });
      try {
        await second.ready;
        await eventually(async () => (await publisher.info(queue)).message_count === 0, 45_000, 'queue empty');
        // What the dead process held came back to the new one. (The queue counts
        // a message gone once the server took the delete; the child reports it
        // acked when the answer reaches it, a moment later: hence a wait.)
        await eventually(() => held.every((id) => second.acked.includes(id)), 10_000, 'what the dead process held acked by the new one');
        // Every message was handled (some twice: at-least-once).
        expect(new Set([...first.handled, ...second.handled]).size).toBe(total);
      } finally {
        second.proc.kill('SIGKILL');
        await second.exited;
      }
    } finally {
      await publisher.stop();
      await deleteQueue(endpoint, queue).catch(() => {});
    }
  });
});
