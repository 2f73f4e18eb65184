import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscardPolicy, RetentionPolicy } from '@nats-io/jetstream';
import type { Delivery } from '../../src/drivers/driver.ts';
import { NatsDriver } from '../../src/drivers/nats/nats-driver.ts';
import { natsDriverOptionsSchema, natsQueueOptionsSchema } from '../../src/drivers/nats/nats-options.ts';
import { parkedStreamName } from '../../src/drivers/nats/nats-names.ts';
import type { LogFields, Logger } from '../../src/util/logger.ts';
import { eventually, record, sleep, uniqueQueueName } from './conformance-helpers.ts';
import { adminConnection, destroyQueue, NATS_URL } from './nats/nats-test-env.ts';

/*
 * Messages another program published on a queue's subject. Whatever they
 * hold, a handler never sees one that is not a message; each is copied
 * aside (dead-letter queue, else the parked stream) with a reason naming
 * stream, subject and sequence, and only then removed: never lost, never
 * looping.
 */

const FOREIGN: readonly (string | Uint8Array)[] = ['not json', new Uint8Array([0xff, 0xfe, 0x41]), '', '{}'];

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (m: string, f?: LogFields) => void lines.push(`${m} ${JSON.stringify(f ?? {})}`);
  return { logger: { debug: log, info: log, warn: log, error: log }, lines };
}

describe('nats driver: messages from other programs', { timeout: 30_000 }, () => {
  const { logger, lines } = recordingLogger();
  const driver = new NatsDriver('test:foreign', natsDriverOptionsSchema.parse({ servers: NATS_URL }), { logger });
  const names: string[] = [];
  const options = natsQueueOptionsSchema.parse({ ack_wait: '5s' });
  const fresh = () => {
    const name = uniqueQueueName('natsfor');
    names.push(name);
    return name;
  };
  beforeAll(() => driver.start());
  afterAll(async () => {
    await driver.stop();
    for (const n of names) await destroyQueue(n);
  });

  async function publishRaw(subject: string, bodies: readonly (string | Uint8Array)[]): Promise<void> {
    const { nc, js } = await adminConnection();
    try {
      for (const b of bodies) await js.publish(subject, b);
    } finally {
      await nc.close();
    }
  }

  it('go to the dead-letter queue with their bytes and a reason naming stream, subject and sequence; the rest is delivered', async () => {
    const [qName, dlqName] = [fresh(), fresh()];
    await driver.declare({ id: 'app:dlq', name: dlqName, options });
    await driver.declare({ id: 'app:q', name: qName, options, deadLetterName: dlqName });
    await publishRaw(qName, [...FOREIGN, '{"ok":1}']);
    const c = driver.consume(qName, { consumerId: 'c', maxUnsettled: 10 });
    const rec = record(c);
    c.request(10);
    await eventually(() => rec.items.length === 1, 5000, 'the one message');
    expect(rec.items[0]!.body).toEqual({ ok: 1 });
    await c.ack(rec.items[0]!);
    await eventually(async () => (await driver.info(qName)).message_count === 0, 5000, 'source empty');
    await sleep(200);
    expect(rec.stop()).toHaveLength(1);
    await c.cancel();

    const dc = driver.consume(dlqName, { consumerId: 'd', maxUnsettled: 10 });
    const dead = record(dc);
    dc.request(10);
    await eventually(() => dead.items.length === FOREIGN.length, 5000, 'the set-aside copies');
    const bySequence = new Map<number, Delivery>(dead.items.map((d) => [d.headers['x_original_sequence'] as number, d]));
    expect([...bySequence.keys()].sort()).toEqual([1, 2, 3, 4]);
    expect(bySequence.get(1)!.body).toBe('not json');
    expect(bySequence.get(2)!.body).toBe(Buffer.from([0xff, 0xfe, 0x41]).toString('base64'));
    expect(bySequence.get(2)!.headers['x_raw_encoding']).toBe('base64');
    expect(bySequence.get(3)!.body).toBe('');
    expect(bySequence.get(4)!.body).toBe('{}');
    for (const [seq, d] of bySequence) {
      expect(d.headers).toMatchObject({ x_original_queue: 'app:q', x_original_stream: qName });
      expect(d.headers['x_dead_letter_reason']).toContain(`undecodable message on stream ${qName} subject ${qName} sequence ${seq}: `);
      await dc.ack(d);
    }
    await dc.cancel();
    const logged = lines.filter((l) => l.includes('undecodable message moved to the dead-letter queue'));
    expect(logged).toHaveLength(FOREIGN.length);
    expect(logged[0]).toContain(`"stream":"${qName}"`);
    expect(logged[0]).toContain('"sequence":');
  });

  it('without a dead-letter queue they are parked, counted by info().parked', async () => {
    const qName = fresh();
    await driver.declare({ id: 'app:p', name: qName, options });
    await publishRaw(qName, FOREIGN);
    const c = driver.consume(qName, { consumerId: 'c', maxUnsettled: 10 });
    const rec = record(c);
    c.request(10);
    await eventually(async () => (await driver.info(qName)).parked === FOREIGN.length, 5000, 'all parked');
    expect(await driver.info(qName)).toMatchObject({ message_count: 0, ready: 0, in_flight: 0 });
    expect(rec.stop()).toHaveLength(0);
    await c.cancel();
    const { nc, jsm } = await adminConnection();
    try {
      const parked = await jsm.streams.info(parkedStreamName(qName));
      expect(parked.state.messages).toBe(FOREIGN.length);
    } finally {
      await nc.close();
    }
  });

  it('one that cannot be set aside stays in its queue and is tried again later, not in a loop', async () => {
    const [qName, dlqName] = [fresh(), fresh()];
    await driver.declare({ id: 'app:dlq2', name: dlqName, options });
    await driver.declare({ id: 'app:q2', name: qName, options, deadLetterName: dlqName });
    const { nc, jsm, js } = await adminConnection();
    try {
      // The dead-letter queue's subject now belongs to a full stream that refuses more.
      await jsm.streams.delete(dlqName);
      await jsm.streams.add({ name: `${dlqName}_block`, subjects: [dlqName], retention: RetentionPolicy.Limits, max_msgs: 1, discard: DiscardPolicy.New });
      await js.publish(dlqName, 'filler');
      const before = lines.length;
      await publishRaw(qName, ['not json']);
      const c = driver.consume(qName, { consumerId: 'c', maxUnsettled: 10 });
      const rec = record(c);
      c.request(10);
      await eventually(() => lines.slice(before).some((l) => l.includes('could not be set aside')), 5000, 'the failure logged');
      await sleep(2000);
      const failures = lines.slice(before).filter((l) => l.includes('could not be set aside'));
      expect(failures.length).toBeLessThanOrEqual(2);
      expect(failures[0]).toContain(`"subject":"${qName}"`);
      expect((await driver.info(qName)).message_count).toBe(1);
      // Unblocked: the next try (after its pause) moves it.
      await jsm.streams.delete(`${dlqName}_block`);
      await driver.declare({ id: 'app:dlq2', name: dlqName, options });
      await eventually(async () => (await driver.info(qName)).message_count === 0, 15_000, 'moved once unblocked');
      expect((await driver.info(dlqName)).message_count).toBe(1);
      expect(rec.stop()).toHaveLength(0);
      await c.cancel();
    } finally {
      await jsm.streams.delete(`${dlqName}_block`).catch(() => undefined);
      await nc.close();
    }
  });
});
