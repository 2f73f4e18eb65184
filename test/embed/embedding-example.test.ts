import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { fromActorq, actorqDrained, type ActorqSnapshot } from '../../src/index.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { until } from '../support/runtime-kit.ts';
import { chargeMachine, shopMachine } from './shop/shop-app.ts';

/**
 * The example of docs/embedding.md, run: the code blocks there are these
 * files (checked here), and the app behaves as the text says.
 */
const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const DOC = readFileSync(repo('docs/embedding.md'), 'utf8');

/** The fenced block right after `<!-- example: <path> -->` in the doc. */
function exampleBlock(path: string): string {
  const marker = `<!-- example: ${path} -->`;
  const at = DOC.indexOf(marker);
  if (at < 0) throw new Error(`docs/embedding.md has no ${marker}`);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(DOC.slice(at + marker.length));
  if (!match) throw new Error(`no code block after ${marker}`);
  return match[1]!;
}

let app: ReturnType<typeof createActor<typeof shopMachine>> | undefined;
afterEach(async () => {
  app?.stop();
  if (app) await actorqDrained(app.system);
  app = undefined;
});

describe('docs/embedding.md: the shop example', () => {
  it('shows the example files as they are (the import names the package)', () => {
    const source = readFileSync(repo('test/embed/shop/shop-app.ts'), 'utf8').replace("from '../../../src/index.ts'", "from 'actorq'");
    expect(exampleBlock('test/embed/shop/shop-app.ts')).toBe(source);
    expect(exampleBlock('test/embed/shop/shop.yaml')).toBe(readFileSync(repo('test/embed/shop/shop.yaml'), 'utf8'));
  });

  it('runs: orders charged by the handler machine, a failure reacted to, a bad publish reported, a closing that waits for the drain', async () => {
    const queues = fromActorq({ files: [repo('test/embed/shop/shop.yaml')], functions: { 'shop:charge': chargeMachine }, logger: silentLogger, metricsInterval: 20 });
    const shop = (app = createActor(shopMachine.provide({ actors: { queues } })).start());
    const actorq = () => shop.getSnapshot().children.queues!.getSnapshot() as ActorqSnapshot;
    const consumer = () => actorq().context.metrics?.consumers.find((c) => c.id === 'shop:payments_consumer');
    await until(() => actorq().context.runtime === 'running', 'actorq running');

    // Published from the app's action, charged by one machine per message.
    shop.send({ type: 'order.placed', orderId: 'o-1', amount: 25 });
    shop.send({ type: 'order.placed', orderId: 'o-2', amount: 0 });
    await until(() => consumer()?.acked === 1 && consumer()?.deadLettered === 1, 'o-1 charged, o-2 dead-lettered after three attempts', 10_000);
    expect(consumer()).toMatchObject({ acked: 1, nacked: 3, deadLettered: 1 });

    // A publish that cannot be stored comes back as an event; the shop carries on.
    shop.send({ type: 'order.placed', orderId: 'o-3', amount: 10n as unknown as number });
    await until(() => shop.getSnapshot().context.failures.length === 1, 'the failed publish reported');
    expect(shop.getSnapshot().context.failures[0]).toMatch(/shop:payments/);

    // The payments consumer's subscription breaks (what the runtime tells the consumer then):
    // the shop shows it, and serves normally again once the consumer has restarted.
    const seen: string[] = [];
    const sub = shop.subscribe((s) => void seen.push(JSON.stringify(s.value)));
    shop.system.get('shop:payments_consumer')!.send({ type: 'consumer.fail', error: new Error('connection reset') });
    await until(() => seen.includes('{"open":"degraded"}') && shop.getSnapshot().matches({ open: 'serving' }), 'degraded, then serving again');
    sub.unsubscribe();
    expect(shop.getSnapshot().context.failures[1]).toBe('connection reset');

    // Closing waits for actorq.stopped: the runtime has drained when the shop is closed.
    shop.send({ type: 'close' });
    expect(shop.getSnapshot().matches({ open: 'closing' })).toBe(true);
    await until(() => shop.getSnapshot().status === 'done', 'the shop closed');
    expect(await actorqDrained(shop.system)).toEqual([]);
    expect(Object.keys(shop.system.getAll())).toEqual([]);
  });
});
