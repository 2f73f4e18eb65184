import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../../src/drivers/memory/memory-driver.ts';
import { describeDriverConformance } from './conformance.ts';
import { collect, sleep } from './conformance-helpers.ts';

describeDriverConformance('memory', {
  create: async () => new MemoryDriver('test:memory'),
  releasesToHead: true,
  publishBeforeStart: true,
});

describe('memory driver specifics', () => {
  const setup = async (maxLength = 1000) => {
    const driver = new MemoryDriver('test:mem');
    await driver.start();
    await driver.declare({ id: 'test:q', name: 'q', options: { max_length: maxLength } });
    return driver;
  };
  const m = (n: number) => ({ id: String(n), body: n, headers: {} });

  it('nack to the tail: publish 1,2,3, requeue 1 -> 2,3,1', async () => {
    const driver = await setup();
    await driver.publish('q', [m(1), m(2), m(3)]);
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 10 });
    const first = collect(c, 1);
    c.request(1);
    const [one] = await first;
    c.requeue(one!, { attempts: 1 });
    const rest = collect(c, 3);
    c.request(3);
    expect((await rest).map((d) => d.body)).toEqual([2, 3, 1]);
  });

  it('publishing to a full queue waits until there is room, then resolves', async () => {
    const driver = await setup(2);
    await driver.publish('q', [m(1), m(2)]);
    let done = false;
    const pending = driver.publish('q', [m(3)]).then(() => (done = true));
    await sleep(20);
    expect(done).toBe(false);
    expect((await driver.info('q')).ready).toBe(2);
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 1 });
    const got = collect(c, 1);
    c.request(1);
    await got;
    await pending;
    expect(done).toBe(true);
    expect((await driver.info('q')).ready).toBe(2);
  });

  it('a waiting publish can be aborted, keeping what was accepted', async () => {
    const driver = await setup(2);
    const ac = new AbortController();
    const p = driver.publish('q', [m(1), m(2), m(3), m(4)], { signal: ac.signal });
    await sleep(5);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await driver.info('q')).ready).toBe(2);
  });

  it('a waiting publish fails with DRIVER_STOPPED when the driver stops', async () => {
    const driver = await setup(1);
    await driver.publish('q', [m(1)]);
    const p = driver.publish('q', [m(2)]);
    await driver.stop();
    await expect(p).rejects.toMatchObject({ code: 'DRIVER_STOPPED' });
  });

  it('keeps its messages across a stop and start', async () => {
    const driver = await setup();
    await driver.publish('q', [m(1), m(2)]);
    await driver.stop();
    await driver.start();
    expect((await driver.info('q')).ready).toBe(2);
  });

  it('requeues and releases never block or drop, even past max_length', async () => {
    const driver = await setup(2);
    await driver.publish('q', [m(1), m(2)]);
    const c = driver.consume('q', { consumerId: 'c', maxUnsettled: 2 });
    const got = collect(c, 2);
    c.request(2);
    const ds = await got;
    await driver.publish('q', [m(3), m(4)]);
    await c.cancel();
    c.release(ds);
    expect((await driver.info('q')).ready).toBe(4);
  });
});
