import { afterEach, describe, expect, it } from 'vitest';
import { createTestModel } from 'xstate/graph';
import { consumerModel, createTestRuntime, messageModel, runPath, stateMeta, transitionPaths, until, type TestRuntime } from '../../src/testing/index.ts';

// The application under test: its configuration, written for production
// (RabbitMQ), and its handler, which charges a card through a port.
const config = `
namespace: shop
entries:
  - name: broker
    kind: queue.driver.amqp
    url: "amqp://guest:guest@rabbitmq:5672"
    lifecycle: { auto_start: true }
  - name: orders
    kind: queue.queue
    driver: shop:broker
    dead_letter: { queue: shop:orders_failed, max_attempts: 3 }
  - { name: orders_failed, kind: queue.queue, driver: shop:broker }
  - name: order_consumer
    kind: queue.consumer
    queue: shop:orders
    func: shop:handle_order
    lifecycle: { auto_start: true, stop_timeout: 2s, restart: { initial_delay: 10ms, max_delay: 10ms } }
`;

interface Order {
  id: string;
  cents: number;
}
interface Payments {
  charge(orderId: string, cents: number): Promise<void>;
}
const handleOrder = (payments: Payments) => async (order: unknown) => {
  const { id, cents } = order as Order;
  await payments.charge(id, cents);
};

let t: TestRuntime | undefined;
afterEach(async () => {
  await t?.dispose();
  t = undefined;
});

// What happens to one order for every sequence of payment outcomes: the
// model has one path per outcome and attempt count (3 attempts allowed).
describe('an order is acked or dead-lettered, never lost', () => {
  const outcomes = createTestModel(messageModel, { input: { maxAttempts: 3 } })
    .getShortestPaths()
    .filter((path) => path.state.status === 'done');

  it.each(outcomes.map((path) => [path.description, path] as const))('%s', async (_description, path) => {
    const results = path.steps.slice(1).map((step) => step.event.type); // 'FAIL' | 'SUCCEED', one per delivery
    const charged: string[] = [];
    const payments: Payments = {
      async charge(orderId) {
        const result = results[charged.length];
        charged.push(orderId);
        if (result === 'FAIL') throw new Error('card declined');
      },
    };
    t = createTestRuntime({ yaml: config, functions: { 'shop:handle_order': handleOrder(payments) } });
    await t.runtime.start();
    await t.runtime.publish('shop:orders', { id: 'o-1', cents: 1250 });

    const deadLettered = path.state.value === 'deadLettered';
    await until(async () => {
      expect(charged).toEqual(results.map(() => 'o-1'));
      expect((await t!.runtime.info('shop:orders')).message_count).toBe(0);
      expect((await t!.runtime.info('shop:orders_failed')).message_count).toBe(deadLettered ? 1 : 0);
      expect(t!.runtime.consumerStats('shop:order_consumer').acked).toBe(deadLettered ? 0 : 1);
    });
  });
});

// Stop and restart the consumer in every state, with a payment in flight
// or not, and with the broker dropping the subscription: after each path
// no promise hangs and no order is lost.
describe('the order consumer stops and restarts cleanly', () => {
  const { paths } = transitionPaths(consumerModel, [{ type: 'START' }, { type: 'STOP' }, { type: 'WORK' }, { type: 'FINISH' }, { type: 'BREAK' }]);

  it.each(paths.map((path) => [path.description, path] as const))('%s', async (_description, path) => {
    const inFlight: (() => void)[] = [];
    const payments: Payments = { charge: () => new Promise<void>((resolve) => inFlight.push(resolve)) };
    const test = (t = createTestRuntime({ yaml: config, functions: { 'shop:handle_order': handleOrder(payments) } }));
    await test.runtime.load();
    const consumer = 'shop:order_consumer';
    let published = 0;
    let stopping: Promise<unknown> | undefined;

    await runPath(path, {
      async exec(event, from) {
        if (event.type === 'START') await test.runtime.startEntry(consumer);
        if (event.type === 'STOP') {
          stopping = test.track(test.runtime.stopEntry(consumer));
          if (from !== 'busy') await stopping; // with a payment in flight, the stop waits for it
        }
        if (event.type === 'WORK') {
          await test.runtime.publish('shop:orders', { id: `o-${++published}`, cents: 100 });
          await until(() => expect(inFlight).toHaveLength(1));
        }
        if (event.type === 'FINISH') {
          inFlight.shift()!();
          await stopping;
        }
        if (event.type === 'BREAK') {
          test.mark();
          test.driver('shop:broker').breakSubscriptions();
          await until(() => expect(test.trace(consumer)).toEqual(['restarting', 'starting', 'running']));
        }
      },
      async check(_state, step) {
        const meta = stateMeta(step.state); // what the real consumer shows in this model state
        await test.waitForState(consumer, meta.machine);
        await until(() => expect(test.runtime.consumerStats(consumer).running).toBe(meta.running));
      },
    });

    for (const pay of inFlight.splice(0)) pay(); // a path may end with a payment in flight
    await test.runtime.stop();
    expect(test.unsettled).toBe(0);
    const queued = (await test.runtime.info('shop:orders')).message_count;
    expect(test.runtime.consumerStats(consumer).acked + queued).toBe(published);
  });
});
