import { describe, expect, it, vi } from 'vitest';
import type { Message as SqsMessage } from '@aws-sdk/client-sqs';
import { decodeAttributes, encodeAttributes, formatNumber, storableJson, STEERING_HEADERS } from '../../src/drivers/sqs/sqs-attributes.ts';
import { decodeReceived, encodeCopy, encodePublish, UndecodableMessage } from '../../src/drivers/sqs/sqs-codec.ts';
import { delayPlan } from '../../src/drivers/sqs/sqs-publish.ts';
import { describeError } from '../../src/drivers/sqs/sqs-errors.ts';
import { parkedQueueName } from '../../src/drivers/sqs/sqs-queues.ts';
import { hiddenBudgetSeconds, VisibilityHeartbeat, MAX_HIDDEN_MS } from '../../src/drivers/sqs/sqs-heartbeat.ts';
import { SqsDelivery } from '../../src/drivers/sqs/sqs-delivery.ts';
import { ReceiveOrder } from '../../src/drivers/sqs/sqs-receive-order.ts';
import type { Headers } from '../../src/message/message.ts';
import { silentLogger } from '../../src/util/logger.ts';

const std = { name: 'q', fifo: false, overflow: 'error' as const };
const NONE = new Set<string>();

describe('sqs attribute encoding', () => {
  it('numbers are plain decimal digits that read back to the same number', () => {
    for (const [n, text] of [
      [1e21, '1000000000000000000000'],
      [-2.5e22, '-25000000000000000000000'],
      [1.5e-7, '0.00000015'],
      [123.25, '123.25'],
      [-0, '0'],
    ] as const) {
      expect(formatNumber(n)).toBe(text);
      expect(Number(formatNumber(n))).toBe(n === 0 ? 0 : n);
    }
  });

  it('JSON text loses U+FFFE, U+FFFF and astral characters to escapes, nothing else', () => {
    expect(storableJson('"plain ü"')).toBe('"plain ü"');
    const text = storableJson(JSON.stringify('a\uFFFF😀'));
    expect(text).toBe('"a\\uffff\\ud83d\\ude00"');
    expect(JSON.parse(text)).toBe('a\uFFFF😀');
  });

  it('error mode refuses more than 10 attributes, counting actorq.id; pack mode keeps 9 own and packs the rest in order', () => {
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`h${i}`, i]));
    const id = { 'actorq.id': { DataType: 'String', StringValue: 'x' } };
    expect(Object.keys(encodeAttributes(nine, id, 'error', 'w', NONE))).toHaveLength(10);
    expect(() => encodeAttributes({ ...nine, h9: 9 }, id, 'error', 'publish to q', NONE)).toThrow('publish to q: 10 headers need 11 SQS message attributes');
    const packed = encodeAttributes({ ...nine, h9: 9, h10: 'ten' }, id, 'pack', 'w', NONE);
    expect(Object.keys(packed)).toEqual(['actorq.id', 'h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'actorq.headers']);
    expect(JSON.parse(packed['actorq.headers']!.StringValue!)).toEqual({ h8: 8, h9: 9, h10: 'ten' });
  });

  it('steering headers are skipped where asked', () => {
    const out = encodeAttributes({ 'sqs.message_group_id': 'g', a: 1 }, {}, 'error', 'w', STEERING_HEADERS);
    expect(Object.keys(out)).toEqual(['a']);
  });
});

describe('sqs attribute decoding', () => {
  it('is total: odd values stay strings, malformed internal attributes stay headers, a bad pack stays a string', () => {
    const headers: Headers = {};
    const internal = decodeAttributes(
      {
        'actorq.id': { DataType: 'Number', StringValue: '5' },
        'actorq.headers': { DataType: 'String', StringValue: '[1,2' },
        n: { DataType: 'Number', StringValue: '' },
        none: { DataType: 'String' },
        odd: { DataType: 'Weird', StringValue: 'kept' },
        b: { DataType: 'String.bool', StringValue: 'TRUE' },
        nn: { DataType: 'Number.int', StringValue: '7' },
      },
      headers,
    );
    expect(internal).toEqual({});
    expect(headers).toEqual({ 'actorq.id': 5, 'actorq.headers': '[1,2', n: '', odd: 'kept', b: false, nn: 7 });
  });

  it('a pack merges under its names without overriding own attributes', () => {
    const headers: Headers = {};
    decodeAttributes({ a: { DataType: 'String', StringValue: 'own' }, 'actorq.headers': { DataType: 'String', StringValue: '{"a":"packed","b":2,"c":null}' } }, headers);
    expect(headers).toEqual({ a: 'own', b: 2 });
  });
});

describe('sqs message decoding', () => {
  const received = (m: Partial<SqsMessage>): SqsMessage => ({ MessageId: 'mid', ReceiptHandle: 'rh', Body: '"x"', ...m });

  it('attempts: the recorded count plus the receives before this one; a forged count is none', () => {
    const recorded = { attempts: { DataType: 'Number', StringValue: '2' } };
    const d = decodeReceived(received({ MessageAttributes: recorded, Attributes: { ApproximateReceiveCount: '3' } }), 0, 1000) as SqsDelivery;
    expect(d.headers['attempts']).toBe(4);
    const forged = decodeReceived(received({ MessageAttributes: { attempts: { DataType: 'Number', StringValue: '-5' } }, Attributes: { ApproximateReceiveCount: '1' } }), 0, 1000) as SqsDelivery;
    expect(forged.headers).toEqual({});
  });

  it('bodies: JSON that publish accepts, or any text with a text/* content_type; else a reason', () => {
    expect((decodeReceived(received({ Body: '{"a":1}' }), 0, 1) as SqsDelivery).body).toEqual({ a: 1 });
    expect(decodeReceived(received({ Body: 'hi' }), 0, 1)).toBeInstanceOf(UndecodableMessage);
    expect((decodeReceived(received({ Body: '[]' }), 0, 1) as UndecodableMessage).reason).toBe('body is an empty array, which publish refuses');
    const text = decodeReceived(received({ Body: 'null', MessageAttributes: { content_type: { DataType: 'String', StringValue: 'text/plain' } } }), 0, 1) as SqsDelivery;
    expect(text.body).toBe('null');
  });

  it('FIFO system attributes come back under the sqs.* names; the SQS MessageId is the ID without actorq.id', () => {
    const d = decodeReceived(received({ Attributes: { MessageGroupId: 'g', MessageDeduplicationId: 'dd' } }), 0, 1) as SqsDelivery;
    expect(d.id).toBe('mid');
    expect(d.headers).toEqual({ 'sqs.message_group_id': 'g', 'sqs.message_deduplication_id': 'dd' });
  });
});

describe('sqs entries', () => {
  it('a FIFO publish gets the message ID as deduplication ID; a long ID becomes its hash', () => {
    const fifo = { name: 'q.fifo', fifo: true, overflow: 'error' as const };
    const e = encodePublish({ id: 'id-1', body: 1, headers: { 'sqs.message_group_id': 'g' } }, 0, fifo, 0);
    expect(e).toMatchObject({ MessageGroupId: 'g', MessageDeduplicationId: 'id-1' });
    const long = encodePublish({ id: 'x'.repeat(200), body: 1, headers: { 'sqs.message_group_id': 'g' } }, 0, fifo, 0);
    expect(long.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a copy to a standard queue keeps the sqs.* IDs as attributes; to a FIFO queue it steers the group', () => {
    const headers = { 'sqs.message_group_id': 'g', 'sqs.message_deduplication_id': 'd', k: 'v' };
    const toStd = encodeCopy('id', '"b"', headers, std, 0);
    expect(Object.keys(toStd.MessageAttributes!).sort()).toEqual(['actorq.id', 'k', 'sqs.message_deduplication_id', 'sqs.message_group_id']);
    expect(toStd.MessageGroupId).toBeUndefined();
    const toFifo = encodeCopy('id', '"b"', headers, { ...std, fifo: true }, 0, { dedupId: 'dl-1' });
    expect(toFifo).toMatchObject({ MessageGroupId: 'g', MessageDeduplicationId: 'dl-1' });
    expect(Object.keys(toFifo.MessageAttributes!).sort()).toEqual(['actorq.id', 'k']);
  });

  it('delays: whole seconds up to 15 minutes, beyond that 15 minutes and a due time', () => {
    expect(delayPlan(0)).toEqual({ seconds: 0 });
    expect(delayPlan(1)).toEqual({ seconds: 1 });
    expect(delayPlan(900_000)).toEqual({ seconds: 900 });
    expect(delayPlan(900_001, 1000)).toEqual({ seconds: 900, due: 901_001 });
  });

  it('parked queue names stay within 80 characters and keep .fifo', () => {
    expect(parkedQueueName('tasks')).toBe('tasks_parked');
    expect(parkedQueueName('tasks.fifo')).toBe('tasks_parked.fifo');
    const long = parkedQueueName('q'.repeat(75) + '.fifo');
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long.endsWith('_parked.fifo')).toBe(true);
    expect(parkedQueueName('q'.repeat(74) + 'a')).not.toBe(parkedQueueName('q'.repeat(74) + 'b'));
  });

  it('SDK error text is scrubbed of every secret', () => {
    const error = Object.assign(new Error('key AKIAX1234 with secret s3cr3t-value rejected'), { name: 'InvalidClientTokenId' });
    expect(describeError(error, ['s3cr3t-value', 'AKIAX1234'])).toBe('InvalidClientTokenId: key *** with secret *** rejected');
  });
});

describe('sqs visibility heartbeat', () => {
  const delivery = (receivedAt: number, visibleUntil: number) => new SqsDelivery('id', 1, {}, { ReceiptHandle: `rh-${receivedAt}-${visibleUntil}` }, receivedAt, visibleUntil);

  it('extends held messages with less than half the timeout left, by a whole timeout, within 12 hours of the receive', () => {
    const now = 1_000_000_000;
    const fresh = delivery(now, now + 9_000);
    const due = delivery(now - 6_000, now + 4_000);
    const old = delivery(now - MAX_HIDDEN_MS + 65_000, now + 1_000);
    const calls: { handle: string; seconds: number }[][] = [];
    const warnings: string[] = [];
    const hb = new VisibilityHeartbeat(new Set([fresh, due, old]), 10, async (items) => void calls.push(items), { ...silentLogger, warn: (m) => void warnings.push(m) }, {});
    hb.tick(now);
    expect(calls).toEqual([[{ handle: due.receipt, seconds: 10 }, { handle: old.receipt, seconds: 5 }]]);
    expect(due.visibleUntil).toBe(now + 10_000);
    expect(hiddenBudgetSeconds(old.receivedAt, now)).toBe(5);
    // Five seconds on: the fresh one is due now; the old one cannot be hidden any longer (a warning, no call for it).
    hb.tick(now + 5_000);
    expect(calls[1]).toEqual([{ handle: fresh.receipt, seconds: 10 }]);
    expect(warnings).toHaveLength(1);
  });
});

describe('sqs receive order', () => {
  it('hands out concurrent receives in the order issued; a later one waits for an earlier one only briefly', async () => {
    const out: number[][] = [];
    const order = new ReceiveOrder<number>((batch) => void out.push(batch), 30);
    const [a, b, c] = [order.open(), order.open(), order.open()];
    order.finish(b, [2]);
    order.finish(a, [1]);
    expect(out).toEqual([[1], [2]]);
    const d = order.open();
    order.finish(d, [4]);
    expect(out).toEqual([[1], [2]]);
    // `c` is a long poll still out: `d` goes anyway after the hold.
    await new Promise((r) => setTimeout(r, 100));
    expect(out).toEqual([[1], [2], [4]]);
    order.finish(c, [3]);
    expect(out).toEqual([[1], [2], [4], [3]]);
  });

  it('a later call that found a backlog waits for an earlier one up to twice its own round trip (a busy process reads late)', () =>
    onFakeClock(({ order, out, advance }) => {
      const [a, b] = [order.open(), order.open()];
      advance(300);
      order.finish(b, [2], true);
      advance(100);
      // The fixed 20 ms hold would have let [2] go before [1] here.
      expect(out).toEqual([]);
      order.finish(a, [1], true);
      expect(out).toEqual([[1], [2]]);
      // Capped: a call that took 5 s waits one second, not ten.
      const [c, d] = [order.open(), order.open()];
      advance(5000);
      order.finish(d, [4], true);
      advance(999);
      expect(out).toEqual([[1], [2]]);
      advance(1);
      expect(out).toEqual([[1], [2], [4]]);
      // A call that met an empty queue (fewer than asked) waits only the short hold.
      const [e, f] = [order.open(), order.open()];
      advance(300);
      order.finish(f, [6], false);
      advance(20);
      expect(out).toEqual([[1], [2], [4], [6]]);
      order.finish(c, [3]);
      order.finish(e, [5]);
      expect(out).toEqual([[1], [2], [4], [6], [3], [5]]);
    }));

  it('a hold that ended with its head does not cut short the next one', () =>
    onFakeClock(({ order, out, advance }) => {
      const [a, b] = [order.open(), order.open()];
      order.finish(b, [2]);
      advance(15);
      order.finish(a, [1]);
      const [c, d] = [order.open(), order.open()];
      advance(3);
      order.finish(d, [4]);
      // 20 ms after b: b's timer, had it been kept, would hand out [4] here.
      advance(2);
      expect(out).toEqual([[1], [2]]);
      order.finish(c, [3]);
      expect(out).toEqual([[1], [2], [3], [4]]);
    }));
});

/** Runs `test` with a 20 ms {@link ReceiveOrder} whose clock and timers move only by `advance`. */
function onFakeClock(test: (t: { order: ReceiveOrder<number>; out: number[][]; advance(ms: number): void }) => void): void {
  vi.useFakeTimers();
  try {
    let now = 0;
    const out: number[][] = [];
    const order = new ReceiveOrder<number>((batch) => void out.push(batch), 20, () => now);
    test({
      order,
      out,
      advance(ms) {
        now += ms;
        vi.advanceTimersByTime(ms);
      },
    });
  } finally {
    vi.useRealTimers();
  }
}
