import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { recordingLogger } from './lua-test-kit.ts';

const specDir = fileURLToPath(new URL('../../specs/lua/', import.meta.url));

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('specs/lua end to end: acks, nacks from return nil, err and error(), logs, publish from Lua', async () => {
  const logger = recordingLogger();
  const runtime = createRuntime({ files: [specDir], logger });
  await runtime.start();
  try {
    await runtime.publish('app.queue:tasks', { id: 'ok-1', action: 'process' });
    await runtime.publish('app.queue:tasks', { id: 'ok-2', action: 'process' });
    await runtime.publish('app.queue:tasks', { id: 'bad', fail: true });
    await runtime.publish('app.queue:tasks', { id: 'boom', crash: true });
    // Failing tasks are requeued again and again (no dead_letter here): wait for the first rounds.
    await until(() => {
      const s = runtime.consumerStats('app.queue:task_consumer');
      return s.acked >= 2 && s.nacked >= 2;
    });
    // Stop the failing tasks' spin before the next part.
    await runtime.stopEntry('app.queue:task_consumer');
    expect(runtime.consumerStats('app.queue:task_consumer').acked).toBe(2);

    const processing = logger.lines.filter((l) => l.message === 'Processing');
    expect(processing.map((l) => l.fields?.task_id)).toEqual(expect.arrayContaining(['ok-1', 'ok-2', 'bad', 'boom']));
    expect(processing[0]!.fields).toMatchObject({ consumer: 'app.queue:task_consumer' });
    const raised = logger.lines.find((l) => l.message === 'lua handler raised an error');
    expect(raised?.fields).toMatchObject({ error: 'process_task.lua:14: task boom crashed', message_id: expect.any(String) });

    for (let i = 0; i < 5; i++) await runtime.publish('app.queue:inbox', { id: `fwd-${i}`, data: { n: i } });
    await until(async () => (await runtime.info('app.queue:results')).message_count === 5);
    // The handler returns (and its message is acked) after its publish was accepted, one thread hop later.
    await until(() => runtime.consumerStats('app.queue:forward_consumer').acked === 5);
    expect((await runtime.info('app.queue:results')).message_count).toBe(5);
  } finally {
    await runtime.stop().catch(() => undefined);
  }
}, 30_000);
