import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsDriver } from '../../src/drivers/nats/nats-driver.ts';
import { natsDriverOptionsSchema, natsQueueOptionsSchema } from '../../src/drivers/nats/nats-options.ts';
import { decodeMessage } from '../../src/drivers/nats/nats-decoder.ts';
import type { NatsDelivery } from '../../src/drivers/nats/nats-delivery.ts';
import { createInbox, type Msg } from '@nats-io/transport-node';
import { AckPolicy, RetentionPolicy } from '@nats-io/jetstream';
import { eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { adminConnection, destroyQueue, makeDriver, NATS_URL } from './nats/nats-test-env.ts';
import { TcpFaultProxy } from '../support/tcp-fault-proxy.ts';

/*
 * The pull consumer's own guards: in-progress signals for long handlers,
 * no delivery beyond credit, and pull requests that died with their
 * consumer.
 */
describe('nats driver: pull consumer', { timeout: 60_000 }, () => {
  let driver: NatsDriver;
  const names: string[] = [];
  beforeAll(async () => {
    driver = makeDriver();
    await driver.start();
  });
  afterAll(async () => {
    await driver.stop();
    for (const n of names) await destroyQueue(n);
  });
  async function queue(ackWait = '30s') {
    const name = uniqueQueueName('natscons');
    names.push(name);
    await driver.declare({ id: 'app:q', name, options: natsQueueOptionsSchema.parse({ ack_wait: ackWait }) });
    return name;
  }

  it('a message held past ack_wait is reported in progress: no other consumer gets it meanwhile', async () => {
    const name = await queue('1s');
    await driver.publish(name, [{ id: 'slow', body: 1, headers: {} }]);
    const holder = driver.consume(name, { consumerId: 'holder', maxUnsettled: 1 });
    const held = record(holder);
    holder.request(1);
    await eventually(() => held.items.length === 1, 5000, 'the delivery');
    const other = driver.consume(name, { consumerId: 'other', maxUnsettled: 10 });
    const stolen = record(other);
    other.request(10);
    // Three and a half times ack_wait: without in-progress reports it comes back after one.
    await sleep(3500);
    expect(stolen.items).toHaveLength(0);
    holder.ack(held.items[0]!);
    await eventually(async () => (await driver.info(name)).message_count === 0, 5000, 'acked');
    expect(held.stop()).toHaveLength(1);
    stolen.stop();
    await holder.cancel();
    await other.cancel();
  });

  it('a message beyond the credit (a stray pull request) is handed back at once, not delivered', async () => {
    const name = await queue();
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 2 });
    const rec = record(c);
    c.request(2);
    await driver.publish(name, [{ id: 'a', body: 1, headers: {} }, { id: 'b', body: 2, headers: {} }]);
    await eventually(() => rec.items.length === 2, 5000, 'the credit used');
    const { nc } = await adminConnection();
    try {
      // A pull request this consumption did not make, asking for more than it may hold.
      nc.publish(c.place.nextSubject, JSON.stringify({ batch: 3, expires: 10e9 }), { reply: c.inbox });
      await nc.flush();
    } finally {
      await nc.close();
    }
    await driver.publish(name, ['x', 'y', 'z'].map((id) => ({ id, body: id, headers: {} })));
    const other = driver.consume(name, { consumerId: 'other', maxUnsettled: 10 });
    const got = record(other);
    other.request(10);
    // Well within ack_wait (30s): they were handed back, not left to time out.
    await eventually(() => got.items.length === 3, 5000, 'the three handed back');
    expect(rec.items).toHaveLength(2);
    for (const d of got.items) other.ack(d);
    for (const d of rec.stop()) c.ack(d);
    got.stop();
    await c.cancel();
    await other.cancel();
  });

  it('a consumer deleted on the server while a pull waits is created again, and consuming goes on', async () => {
    const name = await queue();
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 10 });
    const rec = record(c);
    c.request(10);
    await sleep(200); // the pull request is waiting on the server
    const { nc, jsm } = await adminConnection();
    try {
      await jsm.consumers.delete(name, 'actorq');
      await eventually(async () => (await jsm.consumers.info(name, 'actorq').then(() => true, () => false)), 5000, 'the consumer created again (before any heartbeat check could)');
    } finally {
      await nc.close();
    }
    await driver.publish(name, [{ id: 'after', body: 1, headers: {} }]);
    await eventually(() => rec.items.length === 1, 10_000, 'delivered after');
    c.ack(rec.items[0]!);
    rec.stop();
    await c.cancel();
  });

  it('pull requests that went silent (sent to a consumer that is gone) are noticed and renewed', async () => {
    const name = await queue();
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 10 });
    const rec = record(c);
    const { nc, jsm } = await adminConnection();
    try {
      // No pull request waits (no credit yet), so the server tells nobody.
      await jsm.consumers.delete(name, 'actorq');
    } finally {
      await nc.close();
    }
    c.request(10);
    await driver.publish(name, [{ id: 'late', body: 1, headers: {} }]);
    // Two missed heartbeats (5 s each) and a margin.
    await eventually(() => rec.items.length === 1, 25_000, 'delivered once the silence was noticed');
    c.ack(rec.items[0]!);
    rec.stop();
    await c.cancel();
  });

  it('two copies of one stored message (a crash between copy and ack, redelivered and failed again) are stored once', async () => {
    const name = await queue();
    await driver.publish(name, [{ id: 'once', body: 1, headers: {} }]);
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: 1 });
    const { nc } = await adminConnection();
    let raw: Msg;
    try {
      // Two deliveries of the same stored message, as a redelivery would make.
      raw = await new Promise<Msg>((resolve) => {
        const inbox = createInbox();
        nc.subscribe(inbox, { max: 1, callback: (_e, m) => resolve(m) });
        nc.publish(c.place.nextSubject, JSON.stringify({ batch: 1 }), { reply: inbox });
      });
    } finally {
      await nc.close();
    }
    const first = decodeMessage(raw) as NatsDelivery;
    const second = decodeMessage(raw) as NatsDelivery;
    await c.requeue(first, { attempts: 1 });
    await c.requeue(second, { attempts: 1 });
    await eventually(async () => (await driver.info(name)).message_count === 1, 5000, 'one copy, original gone');
    c.request(1);
    const rec = record(c);
    await eventually(() => rec.items.length === 1, 5000, 'the copy');
    expect(rec.items[0]).toMatchObject({ id: 'once', headers: { attempts: 1 } });
    c.ack(rec.items[0]!);
    rec.stop();
    await c.cancel();
  });

  it('a pull the server turns away (409 Exceeded MaxWaiting) is asked again after a pause, not in a loop', async () => {
    const name = uniqueQueueName('natswait');
    names.push(name);
    const { nc, jsm } = await adminConnection();
    try {
      // A consumer that takes one waiting pull request at a time.
      await jsm.streams.add({ name, subjects: [name], retention: RetentionPolicy.Workqueue });
      await jsm.consumers.add(name, { durable_name: 'actorq', ack_policy: AckPolicy.Explicit, filter_subject: name, max_waiting: 1, max_deliver: -1, max_ack_pending: -1 });
      await driver.declare({ id: 'app:w', name, options: natsQueueOptionsSchema.parse({}) });
      let pulls = 0;
      nc.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${name}.actorq`, { callback: () => void pulls++ });
      await nc.flush();
      const first = driver.consume(name, { consumerId: 'first', maxUnsettled: 5 });
      const a = record(first);
      first.request(5);
      await eventually(() => pulls === 1, 5000, 'the first pull');
      const second = driver.consume(name, { consumerId: 'second', maxUnsettled: 5 });
      const b = record(second);
      second.request(5);
      await sleep(2000);
      // One refused request per second at most, not one per round trip.
      expect(pulls).toBeLessThanOrEqual(5);
      await driver.publish(name, Array.from({ length: 10 }, (_, i) => ({ id: `m${i}`, body: i, headers: {} })));
      await eventually(() => a.items.length + b.items.length === 10, 10_000, 'all delivered');
      for (const d of a.stop()) first.ack(d);
      for (const d of b.stop()) second.ack(d);
      await first.cancel();
      await second.cancel();
    } finally {
      await nc.close();
    }
  });

  /** `n` messages pulled by hand on the queue's consumer, held unsettled (their ack subjects settle them). */
  async function pullByHand(nc: Awaited<ReturnType<typeof adminConnection>>['nc'], nextSubject: string, n: number): Promise<Msg[]> {
    return new Promise<Msg[]>((resolve) => {
      const inbox = createInbox();
      const got: Msg[] = [];
      nc.subscribe(inbox, { max: n, callback: (_e, m) => void (got.push(m) === n && resolve(got)) });
      nc.publish(nextSubject, JSON.stringify({ batch: n }), { reply: inbox });
    });
  }

  // nats-server 2.9 sends redeliveries to pull requests whose subscriber is
  // gone: of several, one is then lost until ack_wait. Three messages show it.
  const three = ['m0', 'm1', 'm2'].map((id) => ({ id, body: id, headers: {} }));

  it('a stopped consumption leaves no pull request behind for redeliveries to be lost to', async () => {
    const name = await queue();
    await driver.publish(name, three);
    const gone = driver.consume(name, { consumerId: 'gone', maxUnsettled: 5 });
    const { nc } = await adminConnection();
    try {
      const held = await pullByHand(nc, gone.place.nextSubject, 3);
      gone.request(5); // a pull request waits on the server, nothing to deliver
      await sleep(100);
      await gone.cancel();
      // Someone else hands messages back: none may go to the cancelled consumption's request.
      for (const m of held) m.respond('-NAK');
      await nc.flush();
    } finally {
      await nc.close();
    }
    const next = driver.consume(name, { consumerId: 'next', maxUnsettled: 5 });
    const rec = record(next);
    next.request(5);
    await eventually(() => new Set(rec.items.map((d) => d.id)).size === 3, 5000, 'all three, well before ack_wait (30 s)');
    for (const d of rec.stop()) next.ack(d);
    await next.cancel();
  });

  it('released messages are not lost to a pull request whose client has just gone', async () => {
    const name = await queue();
    const proxy = await TcpFaultProxy.start({ host: new URL(NATS_URL).hostname, port: Number(new URL(NATS_URL).port || 4222) });
    // A second process, cut off with a pull request waiting, slow to come back.
    const other = new NatsDriver('test:other', natsDriverOptionsSchema.parse({ servers: `nats://127.0.0.1:${proxy.port}`, reconnect_delay: '20s', reconnect_max_delay: '20s' }));
    try {
      await other.start();
      await other.declare({ id: 'app:q', name, options: natsQueueOptionsSchema.parse({}) });
      await driver.publish(name, three);
      const mine = driver.consume(name, { consumerId: 'mine', maxUnsettled: 3 });
      const got = record(mine);
      mine.request(3);
      await eventually(() => got.items.length === 3, 5000, 'the deliveries');
      const theirs = other.consume(name, { consumerId: 'theirs', maxUnsettled: 5 });
      theirs.request(5);
      await sleep(200);
      proxy.cut();
      await eventually(() => other.connectionState !== 'connected', 5000, 'the other process cut off');
      await mine.release(got.stop());
      await mine.cancel();
      const next = driver.consume(name, { consumerId: 'next', maxUnsettled: 5 });
      const rec = record(next);
      next.request(5);
      await eventually(() => new Set(rec.items.map((d) => d.id)).size === 3, 5000, 'all three released, well before ack_wait (30 s)');
      for (const d of rec.stop()) next.ack(d);
      await next.cancel();
    } finally {
      await other.stop();
      await proxy.close();
    }
  });

  it('info never counts a message twice: ready + in_flight = message_count', async () => {
    const name = await queue();
    await driver.publish(name, [{ id: 'm', body: 1, headers: {} }]);
    const { nc } = await adminConnection();
    try {
      // A redelivery sent to a pull request whose inbox is gone: nats-server 2.9
      // then counts the message both as pending and as in flight.
      const inbox = createInbox();
      let sub!: ReturnType<typeof nc.subscribe>;
      const first = await new Promise<Msg>((resolve) => {
        sub = nc.subscribe(inbox, { callback: (_e, m) => resolve(m) });
        nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${name}.actorq`, JSON.stringify({ batch: 5, expires: 30e9 }), { reply: inbox });
      });
      await sub.drain();
      first.respond('-NAK');
      await nc.flush();
      await sleep(300);
      const info = await driver.info(name);
      expect(info.message_count).toBe(1);
      expect(info.ready + info.in_flight).toBe(1);
    } finally {
      await nc.close();
    }
  });

  it('a large delayed batch, handed back while early, comes back in the order it was published', async () => {
    const name = await queue();
    const total = 500;
    const c = driver.consume(name, { consumerId: 'c', maxUnsettled: total });
    const rec = record(c);
    c.request(total);
    const ids = Array.from({ length: total }, (_, i) => `d${i}`);
    await driver.publish(name, ids.map((id, i) => ({ id, body: i, headers: {} })), { delayMs: 1000 });
    await eventually(() => rec.items.length === total, 10_000, 'the whole batch');
    // Handing 500 back takes several milliseconds: counted from a fresh clock
    // reading each, the ones after a millisecond tick got shorter delays and
    // the server returned them ahead of the others (every run of this case).
    // The delay is long enough that the whole batch is seen early, even on a
    // loaded machine: a tail seen after its due time is delivered at once.
    expect(rec.items.map((d) => d.id)).toEqual(ids);
    for (const d of rec.stop()) c.ack(d);
    await c.cancel();
  });
});
