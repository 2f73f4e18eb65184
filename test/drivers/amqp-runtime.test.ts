import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { eventually, uniqueQueueName } from './conformance-helpers.ts';
import { AMQP_URL, destroyQueue } from './amqp/broker-helpers.ts';

// The seed's shape with only the driver entry switched to AMQP, run end to
// end: attempts are counted and a poison message is dead-lettered on
// RabbitMQ exactly as on the memory driver.
describe('amqp driver under the runtime', () => {
  const tasks = uniqueQueueName('rt-tasks');
  const dead = uniqueQueueName('rt-dead');
  let runtime: Runtime | undefined;

  afterAll(async () => {
    await runtime?.stop().catch(() => undefined);
    for (const q of [tasks, dead]) await destroyQueue(q).catch(() => undefined);
  });

  it('processes messages and dead-letters a poison message after max_attempts', async () => {
    const yaml = `
namespace: app.queue
entries:
  - name: rabbit
    kind: queue.driver.amqp
    url: ${AMQP_URL}
    reconnect_delay: 100ms
    lifecycle: { auto_start: true }
  - name: tasks
    kind: queue.queue
    driver: app.queue:rabbit
    queue_name: ${tasks}
    dead_letter: { queue: app.queue:tasks_dead, max_attempts: 3 }
  - name: tasks_dead
    kind: queue.queue
    driver: app.queue:rabbit
    queue_name: ${dead}
  - name: task_consumer
    kind: queue.consumer
    queue: app.queue:tasks
    func: app.queue:task_handler
    concurrency: 4
    prefetch: 20
    lifecycle: { auto_start: true, depends_on: [app.queue:tasks] }
`;
    const registry = parseConfigText(yaml, '<inline>', { extraFunctionIds: ['app.queue:task_handler'] });
    const done: number[] = [];
    let poisonCalls = 0;
    runtime = createRuntime({
      registry,
      logger: silentLogger,
      functions: {
        'app.queue:task_handler': async (body: { id: number; poison?: boolean }) => {
          if (body.poison) {
            poisonCalls++;
            throw new Error('cannot process');
          }
          done.push(body.id);
        },
      },
    });
    await runtime.start();
    for (let i = 0; i < 50; i++) await runtime.publish('app.queue:tasks', { id: i });
    await runtime.publish('app.queue:tasks', { id: -1, poison: true });
    await eventually(() => done.length === 50, 10_000, '50 messages handled');
    await eventually(async () => (await runtime!.info('app.queue:tasks_dead')).ready === 1, 10_000, 'poison message dead-lettered');
    expect(poisonCalls).toBe(3);
    expect(new Set(done).size).toBe(50);
    // The dead-letter copy is confirmed before the original's ack reaches the
    // broker, so the source queue empties a moment after the copy shows up.
    await eventually(async () => (await runtime!.info('app.queue:tasks')).message_count === 0, 10_000, 'source queue empty');
  }, 30_000);
});
