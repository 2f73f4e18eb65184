import { describe, expect, it } from 'vitest';
import { DeliveryContext, type DeliveryHost } from '../../src/consumer/delivery-context.ts';
import type { Delivery } from '../../src/drivers/driver.ts';
import { childLogger, logEnabled, silentLogger, streamLogger, type LogFields, type Logger } from '../../src/util/logger.ts';

interface Rec {
  level: string;
  message: string;
  fields: LogFields | undefined;
  /** The fields' keys in the order a writer sees them. */
  keys: string[] | undefined;
}

/** A logger without `enabled`, as every custom logger before it existed. */
function recording(): Logger & { records: Rec[] } {
  const records: Rec[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) => void records.push({ level, message, fields, keys: fields && Object.keys(fields) });
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A handler's context over `parent`, whose delivery counts reads of its ID (on the in-memory driver the first one makes a UUID). */
function contextOver(parent: Logger): { ctx: DeliveryContext; idReads: () => number } {
  let reads = 0;
  const delivery = {
    get id() {
      reads++;
      return 'msg-1';
    },
    body: 1,
    headers: {},
  } as Delivery;
  const host = { consumerId: 'app:consumer', logger: parent } as DeliveryHost;
  return { ctx: new DeliveryContext({ host, consumption: undefined }, delivery), idReads: () => reads };
}

/** Record fields that count how often they are read (a merge or a formatter reads them). */
function countedFields(): { fields: LogFields; reads: () => number } {
  let reads = 0;
  const fields = Object.defineProperty({}, 'task_id', {
    enumerable: true,
    get() {
      reads++;
      return 't-1';
    },
  }) as LogFields;
  return { fields, reads: () => reads };
}

describe('loggers saying which levels they write', () => {
  it('streamLogger answers by its level, silentLogger writes nothing, a logger without `enabled` writes all', () => {
    const stream = streamLogger('warn', () => {});
    expect(['debug', 'info', 'warn', 'error'].map((l) => logEnabled(stream, l as 'debug'))).toEqual([false, false, true, true]);
    expect(logEnabled(silentLogger, 'error')).toBe(false);
    expect(logEnabled(recording(), 'debug')).toBe(true);
    expect(logEnabled(childLogger(stream, { a: 1 }), 'info')).toBe(false);
    expect(logEnabled(childLogger(stream, { a: 1 }), 'error')).toBe(true);
  });

  it('keeps `enabled` out of a spread copy, so a copy with a method replaced still writes through it', () => {
    const errors: string[] = [];
    const mine: Logger = { ...silentLogger, error: (m) => void errors.push(m) };
    expect(Object.keys(silentLogger)).toEqual(['debug', 'info', 'warn', 'error']);
    childLogger(mine, { driver: 'd' }).error('lost connection');
    expect(errors).toEqual(['lost connection']);
  });
});

describe('childLogger', () => {
  it('writes its fields in front of the record own, the record winning a clash, in the same order as before', () => {
    const parent = recording();
    const log = childLogger(parent, { driver: 'app:memory', attempt: 1 });
    log.info('connected');
    log.warn('retrying', { attempt: 2, error: 'refused' });
    expect(parent.records).toEqual([
      { level: 'info', message: 'connected', fields: { driver: 'app:memory', attempt: 1 }, keys: ['driver', 'attempt'] },
      { level: 'warn', message: 'retrying', fields: { driver: 'app:memory', attempt: 2, error: 'refused' }, keys: ['driver', 'attempt', 'error'] },
    ]);
  });

  it('reads nothing of a record its parent drops', () => {
    const { fields, reads } = countedFields();
    childLogger(streamLogger('info', () => {}), { driver: 'd' }).debug('dropped', fields);
    expect(reads()).toBe(0);
  });
});

describe("a handler's logger (ctx.logger)", () => {
  it('writes consumer and message_id in front of the record fields, as before', () => {
    const parent = recording();
    const { ctx } = contextOver(parent);
    ctx.logger.info('Processing', { task_id: 't-1' });
    ctx.logger.error('failed');
    ctx.logger.warn('odd', { message_id: 'given', n: 2 });
    expect(parent.records).toEqual([
      { level: 'info', message: 'Processing', fields: { consumer: 'app:consumer', message_id: 'msg-1', task_id: 't-1' }, keys: ['consumer', 'message_id', 'task_id'] },
      { level: 'error', message: 'failed', fields: { consumer: 'app:consumer', message_id: 'msg-1' }, keys: ['consumer', 'message_id'] },
      { level: 'warn', message: 'odd', fields: { consumer: 'app:consumer', message_id: 'given', n: 2 }, keys: ['consumer', 'message_id', 'n'] },
    ]);
  });

  it('writes the same line through streamLogger as before', () => {
    const lines: string[] = [];
    const { ctx } = contextOver(streamLogger('info', (l) => void lines.push(l)));
    ctx.logger.info('Processing', { task_id: 't-1', note: 'two words' });
    expect(lines).toEqual(['INFO  Processing consumer=app:consumer message_id=msg-1 task_id=t-1 note="two words"\n']);
  });

  it('reads neither the message ID nor the record fields when the consumer logger drops the level', () => {
    const lines: string[] = [];
    const { ctx, idReads } = contextOver(streamLogger('info', (l) => void lines.push(l)));
    const { fields, reads } = countedFields();
    ctx.logger.debug('dropped', fields);
    expect({ idReads: idReads(), fieldReads: reads(), lines }).toEqual({ idReads: 0, fieldReads: 0, lines: [] });
    const silent = contextOver(silentLogger);
    silent.ctx.logger.error('dropped too', fields);
    expect({ idReads: silent.idReads(), fieldReads: reads() }).toEqual({ idReads: 0, fieldReads: 0 });
  });

  it('reads the message ID only when a record is written, not when the logger is made', () => {
    const parent = recording();
    const { ctx, idReads } = contextOver(parent);
    const log = ctx.logger;
    expect(idReads()).toBe(0);
    log.info('one');
    expect(idReads()).toBe(1);
  });
});
