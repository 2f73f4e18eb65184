import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MemoryDriver } from '../../src/drivers/memory/memory-driver.ts';
import type { Delivery } from '../../src/drivers/driver.ts';
import { InvalidMessageError } from '../../src/errors/message-errors.ts';
import { eventually, sleep } from './conformance-helpers.ts';

/*
 * Delayed publish and delayed requeue on the in-memory driver. Lower
 * bounds are strict (never early); upper bounds are loose (a shared,
 * busy machine), never a speed claim.
 */

const m = (id: string, headers: Record<string, number> = {}) => ({ id, body: { id }, headers });
const LATE_MS = 1000;

async function setup(options: Record<string, unknown> = {}) {
  const driver = new MemoryDriver('test:mem-delay');
  await driver.start();
  await driver.declare({ id: 'test:q', name: 'q', options });
  return driver;
}

/** Records each delivery with the time (performance.now) it arrived. */
function timed(c: ReturnType<MemoryDriver['consume']>) {
  const got: { d: Delivery; at: number }[] = [];
  c.deliveries.subscribe((batch) => {
    const at = performance.now();
    for (const d of batch) got.push({ d, at });
  });
  return got;
}

describe('memory driver: delays', () => {
  let driver: MemoryDriver | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await driver?.stop();
    driver = undefined;
  });

  it('a delayed publish waits outside the ready list (info().delayed) and comes no sooner than its delay, a batch in order', async () => {
    driver = await setup();
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 10 });
    const got = timed(c);
    c.request(10);
    const sent = performance.now();
    await driver.publish('q', [m('a'), m('b'), m('c')], { delayMs: 150 });
    expect(await driver.info('q')).toMatchObject({ delayed: 3, ready: 0, in_flight: 0, message_count: 0 });
    await sleep(100);
    expect(got).toHaveLength(0);
    await eventually(() => got.length === 3, 150 + LATE_MS, 'the delayed batch');
    for (const { at } of got) expect(at - sent).toBeGreaterThanOrEqual(150);
    expect(got.map((g) => g.d.id)).toEqual(['a', 'b', 'c']);
    expect(await driver.info('q')).toMatchObject({ delayed: 0, in_flight: 3 });
  });

  it('due messages go to the tail of ready in due order, across publishes and queues', async () => {
    driver = await setup();
    await driver.declare({ id: 'test:q2', name: 'q2', options: {} });
    await driver.publish('q', [m('late')], { delayMs: 120 });
    await driver.publish('q2', [m('other-queue')], { delayMs: 60 });
    await driver.publish('q', [m('early')], { delayMs: 40 });
    await driver.publish('q', [m('now')]);
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 10 });
    const c2 = driver.consume('q2', { consumerId: 'c2', maxUnsettled: 10 });
    const got = timed(c);
    const got2 = timed(c2);
    c.request(10);
    c2.request(10);
    await eventually(() => got.length === 3 && got2.length === 1, 120 + LATE_MS, 'every message');
    expect(got.map((g) => g.d.id)).toEqual(['now', 'early', 'late']);
    expect(got2[0]!.d.id).toBe('other-queue');
  });

  it('one timer for the earliest due time, not one per message', async () => {
    driver = await setup({ max_length: 5000 });
    const spy = vi.spyOn(globalThis, 'setTimeout');
    // Later and later due times: the first sets the timer, none of the others needs one.
    for (let i = 0; i < 1000; i++) await driver.publish('q', [m(`m${i}`)], { delayMs: 200 + i });
    const ours = spy.mock.calls.filter(([, ms]) => typeof ms === 'number' && ms >= 150);
    expect(ours).toHaveLength(1);
    // A new earliest replaces the timer (one more), it does not add one per message.
    await driver.publish('q', [m('first')], { delayMs: 50 });
    expect(spy.mock.calls.filter(([, ms]) => typeof ms === 'number' && ms >= 40)).toHaveLength(2);
    expect((await driver.info('q')).delayed).toBe(1001);
  });

  it('a delayed message neither blocks the ones behind it nor holds credit', async () => {
    driver = await setup();
    const sent = performance.now();
    await driver.publish('q', [m('delayed')], { delayMs: 300 });
    await driver.publish('q', [m('x'), m('y')]);
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 1 });
    const got = timed(c);
    c.request(1);
    for (let i = 0; i < 3; i++) {
      await eventually(() => got.length === i + 1, 300 + LATE_MS, `delivery ${i + 1}`);
      c.ack(got[i]!.d);
      c.request(1);
    }
    expect(got.map((g) => g.d.id)).toEqual(['x', 'y', 'delayed']);
    expect(got[1]!.at - sent).toBeLessThan(300);
    expect(got[2]!.at - sent).toBeGreaterThanOrEqual(300);
  });

  it('requeue with a delay: out of flight at once, delivered again no sooner, same id, body and new headers', async () => {
    driver = await setup();
    await driver.publish('q', [m('r', { k: 1 })]);
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 5 });
    const got = timed(c);
    c.request(5);
    await eventually(() => got.length === 1, 2000, 'first delivery');
    const back = performance.now();
    c.requeue(got[0]!.d, { k: 1, attempts: 1 }, 200);
    expect(await driver.info('q')).toMatchObject({ in_flight: 0, ready: 0, delayed: 1 });
    await driver.publish('q', [m('meanwhile')]);
    await eventually(() => got.length === 3, 200 + LATE_MS, 'the other message, then the retry');
    expect(got.map((g) => g.d.id)).toEqual(['r', 'meanwhile', 'r']);
    expect(got[2]!.at - back).toBeGreaterThanOrEqual(200);
    expect(got[2]!.d.headers).toEqual({ k: 1, attempts: 1 });
    expect(got[2]!.d.body).toEqual({ id: 'r' });
  });

  it('stop keeps delayed messages (counted, not delivered, timer cleared); start delivers what fell due meanwhile', async () => {
    driver = await setup();
    await driver.publish('q', [m('kept')], { delayMs: 50 });
    const spy = vi.spyOn(globalThis, 'clearTimeout');
    await driver.stop();
    expect(spy).toHaveBeenCalled();
    await sleep(120);
    expect(await driver.info('q')).toMatchObject({ delayed: 1, ready: 0 });
    await driver.start();
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 1 });
    const got = timed(c);
    c.request(1);
    await eventually(() => got.length === 1, LATE_MS, 'the kept message after start');
    expect(got[0]!.d.id).toBe('kept');
    expect((await driver.info('q')).delayed).toBe(0);
  });

  it('max_length bounds ready plus delayed: a publish past it waits, and its delay counts from admission', async () => {
    driver = await setup({ max_length: 2 });
    await driver.publish('q', [m('d1'), m('d2')], { delayMs: 100 });
    let admitted = false;
    const waiting = driver.publish('q', [m('d3')], { delayMs: 100 }).then(() => (admitted = true));
    await sleep(20);
    expect(admitted).toBe(false);
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 10 });
    const got = timed(c);
    c.request(10);
    await eventually(() => got.length === 2, 100 + LATE_MS, 'the first two');
    // Room appears when the first two leave for the consumer: the third is admitted after this instant.
    const beforeAdmission = got[1]!.at;
    for (const g of got) c.ack(g.d);
    await waiting;
    await eventually(() => got.length === 3, 100 + LATE_MS, 'the waiting one');
    expect(got[2]!.at - beforeAdmission).toBeGreaterThanOrEqual(100);
  });

  it('many messages due at once all arrive, in order', async () => {
    driver = await setup({ max_length: 20_000 });
    const n = 10_000;
    await driver.publish('q', Array.from({ length: n }, (_, i) => m(`m${i}`)), { delayMs: 30 });
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: n });
    const got = timed(c);
    c.request(n);
    await eventually(() => got.length === n, 5000, `${n} deliveries`);
    expect(got.every((g, i) => g.d.id === `m${i}`)).toBe(true);
  });

  it('refuses a delay that is not one, storing or moving nothing', async () => {
    driver = await setup();
    for (const bad of [-1, Number.NaN, Infinity, 2 ** 31]) {
      await expect(driver.publish('q', [m('x')], { delayMs: bad })).rejects.toBeInstanceOf(InvalidMessageError);
    }
    expect(await driver.info('q')).toMatchObject({ ready: 0, delayed: 0 });
    await driver.publish('q', [m('held')]);
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 1 });
    const got = timed(c);
    c.request(1);
    await eventually(() => got.length === 1, 2000, 'delivery');
    expect(() => c.requeue(got[0]!.d, { attempts: 1 }, -5)).toThrow(InvalidMessageError);
    expect(await driver.info('q')).toMatchObject({ in_flight: 1, delayed: 0 });
  });

  it('waiting delayed messages never keep a process alive', { timeout: 20_000 }, () => {
    const script = `
      import { MemoryDriver } from ${JSON.stringify(fileURLToPath(new URL('../../src/drivers/memory/memory-driver.ts', import.meta.url)))};
      const d = new MemoryDriver('x');
      await d.start();
      await d.declare({ id: 'q', name: 'q', options: {} });
      await d.publish('q', [{ id: 'a', body: 1, headers: {} }], { delayMs: 60_000 });
      console.log('published');`;
    const started = Date.now();
    // Killed after 10 s if it hangs (the message waits 60 s): then status is null, not 0.
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.stdout).toContain('published');
    expect(r.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
