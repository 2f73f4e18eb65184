import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { Driver, QueueDeclaration } from '../../src/drivers/driver.ts';
import type { QueueAdmin, StoredEntry } from '../../src/drivers/queue-admin.ts';
import { NotFoundError } from '../../src/errors/not-found-error.ts';
import { collect, eventually, uniqueQueueName } from '../drivers/conformance-helpers.ts';

/**
 * One driver's admin tools as the conformance suite sees them: how to make
 * the driver against its real backend, and what the backend can do.
 */
export interface AdminTarget {
  readonly label: string;
  create(): Driver;
  destroy(names: readonly string[]): Promise<void>;
  /** Stores bytes that are not an actorq message at the tail of a queue, as another program would. */
  storeForeign?(queue: string, text: string): Promise<void>;
  /** Whether a consumer can take a message while a removal walk visits it. */
  readonly canGoMidVisit: boolean;
  /**
   * Whether `info()` counts delayed messages apart (`delayed`). NATS does
   * not: a delayed message no consumer has seen yet counts as `ready`.
   * @default true
   */
  readonly infoSeesDelayed?: boolean;
  /**
   * Whether messages a take-and-return peek hands back keep their place.
   * False for SQS: a standard queue keeps no order, and a message handed
   * back comes out anywhere later (fauxqs appends it at the tail), so only
   * the first peek's order and the queue's content are checked. Default true.
   */
  readonly returnsInPlace?: boolean;
}

export const msg = (n: number) => ({ id: `m${n}`, body: { n }, headers: { k: `v${n}` } });
export const ids = (entries: readonly StoredEntry[]) => entries.map((e) => (e.kind === 'message' ? e.message.id : `undecodable`));

/** The admin conformance suite for one driver: every driver with `admin` must pass it. */
export function describeQueueAdmin(target: AdminTarget): void {
  describe(`${target.label} driver admin`, { timeout: 30_000 }, () => {
    let driver: Driver;
    let admin: QueueAdmin;
    const made: string[] = [];
    const declare = async (): Promise<QueueDeclaration> => {
      const q = { id: `test:${made.length}`, name: uniqueQueueName(`admin-${target.label}`), options: {} };
      made.push(q.name);
      await driver.declare(q);
      return q;
    };

    beforeAll(async () => {
      driver = target.create();
      admin = driver.admin!;
      await driver.start();
    });
    afterAll(async () => {
      await driver.stop();
      await target.destroy(made);
    });

    it('peek reads the head in order and leaves the queue as it was', async () => {
      const q = await declare();
      await driver.publish(q.name, [1, 2, 3, 4, 5].map(msg));
      const head = await admin.peek(q.name, 3);
      expect(ids(head)).toEqual(['m1', 'm2', 'm3']);
      expect(head[0]).toEqual({ kind: 'message', message: expect.objectContaining({ id: 'm1', body: { n: 1 }, headers: expect.objectContaining({ k: 'v1' }) }) });
      // Where handed-back messages do not keep their place, the same messages, in some order.
      const inPlace = target.returnsInPlace !== false;
      const order = (xs: readonly string[]) => (inPlace ? xs : [...xs].sort());
      expect(order(ids(await admin.peek(q.name, 100)))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
      expect(await admin.peek(q.name, 0)).toEqual([]);
      await eventually(async () => (await driver.info(q.name)).ready === 5, 5000, 'all five ready again');
      // Nothing was consumed: a consumer gets every message, in the original order (where it was kept).
      const c = driver.consume(q.name, { consumerId: 'test:c', maxUnsettled: 10 });
      c.request(10);
      const got = await collect(c, 5);
      expect(order(got.map((d) => d.id))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
      for (const d of got) await c.ack(d);
      await c.cancel();
    });

    it('every tool rejects an undeclared queue with NotFoundError', async () => {
      const name = uniqueQueueName('admin-missing');
      await expect(admin.peek(name, 1)).rejects.toBeInstanceOf(NotFoundError);
      await expect(admin.purge(name)).rejects.toBeInstanceOf(NotFoundError);
      await expect(admin.removeEach(name, 1, async () => 'keep')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('purge removes the ready messages only: in flight and delayed ones stay', async () => {
      const q = await declare();
      await driver.publish(q.name, [1, 2, 3, 4].map(msg));
      await driver.publish(q.name, [msg(9)], { delayMs: 60_000 });
      const c = driver.consume(q.name, { consumerId: 'test:c', maxUnsettled: 1 });
      c.request(1);
      const [held] = await collect(c, 1);
      const seesDelayed = target.infoSeesDelayed !== false;
      await eventually(async () => (seesDelayed ? (await driver.info(q.name)).ready === 3 : (await driver.info(q.name)).in_flight === 1), 5000, 'three ready');
      expect(await admin.purge(q.name)).toBe(3);
      const info = await driver.info(q.name);
      expect(info.in_flight).toBe(1);
      if (seesDelayed) {
        expect(info.ready).toBe(0);
        expect(info.delayed).toBe(1);
      } else {
        // The one in flight and the delayed one are all that is stored; neither is ready to an operator.
        expect(info.message_count).toBe(2);
        expect(await admin.peek(q.name, 10)).toEqual([]);
      }
      expect(await admin.purge(q.name)).toBe(0);
      await c.ack(held!);
      await c.cancel();
    });

    it('removeEach removes only after the visit, keeps what it is told to keep, in order, and stops', async () => {
      const q = await declare();
      await driver.publish(q.name, [1, 2, 3, 4, 5, 6].map(msg));
      const order: string[] = [];
      const result = await admin.removeEach(q.name, 100, async (entry) => {
        const id = entry.kind === 'message' ? entry.message.id : '?';
        // Still there while its visit runs (for a backend that holds it, not ready but not gone either).
        order.push(id);
        if (id === 'm5') return 'stop';
        return id === 'm2' || id === 'm4' ? 'keep' : 'remove';
      });
      expect(order).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
      expect(result).toEqual({ visited: 5, removed: 2, gone: 0 });
      await eventually(async () => (await driver.info(q.name)).ready === 4, 5000, 'four ready');
      expect(ids(await admin.peek(q.name, 10))).toEqual(['m2', 'm4', 'm5', 'm6']);
      // maxVisits bounds the walk.
      const bounded = await admin.removeEach(q.name, 2, async () => 'remove');
      expect(bounded).toEqual({ visited: 2, removed: 2, gone: 0 });
      await eventually(async () => (await driver.info(q.name)).ready === 2, 5000, 'two ready');
      expect(ids(await admin.peek(q.name, 10))).toEqual(['m5', 'm6']);
    });

    it('a visit that fails leaves its message (and the rest) in the queue', async () => {
      const q = await declare();
      await driver.publish(q.name, [1, 2, 3].map(msg));
      let visits = 0;
      const walk = admin.removeEach(q.name, 10, async (entry) => {
        visits++;
        if (entry.kind === 'message' && entry.message.id === 'm2') throw new Error('publish of the copy failed');
        return 'remove';
      });
      await expect(walk).rejects.toThrow('publish of the copy failed');
      expect(visits).toBe(2);
      await eventually(async () => (await driver.info(q.name)).ready === 2, 5000, 'two ready');
      expect(ids(await admin.peek(q.name, 10))).toEqual(['m2', 'm3']);
    });

    if (target.canGoMidVisit) {
      it('a message a consumer takes during its visit counts as gone, not removed twice', async () => {
        const q = await declare();
        await driver.publish(q.name, [1, 2].map(msg));
        const c = driver.consume(q.name, { consumerId: 'test:c', maxUnsettled: 1 });
        const result = await admin.removeEach(q.name, 10, async (entry) => {
          if (entry.kind === 'message' && entry.message.id === 'm1') {
            c.request(1);
            const [taken] = await collect(c, 1);
            expect(taken!.id).toBe('m1');
            await c.ack(taken!);
          }
          return 'remove';
        });
        expect(result).toEqual({ visited: 2, removed: 1, gone: 1 });
        expect((await driver.info(q.name)).ready).toBe(0);
        await c.cancel();
      });
    }

    if (target.storeForeign) {
      it('shows an entry another program stored as undecodable, with why and a preview, and leaves it', async () => {
        const q = await declare();
        await driver.publish(q.name, [msg(1)]);
        await target.storeForeign!(q.name, 'not json at all');
        const head = await admin.peek(q.name, 10);
        expect(head).toHaveLength(2);
        const foreign = head[1]!;
        expect(foreign.kind).toBe('undecodable');
        if (foreign.kind === 'undecodable') {
          expect(foreign.preview).toBe('not json at all');
          expect(foreign.reason.length).toBeGreaterThan(0);
        }
        const walk = await admin.removeEach(q.name, 10, async (entry) => (entry.kind === 'message' ? 'remove' : 'keep'));
        expect(walk).toEqual({ visited: 2, removed: 1, gone: 0 });
        await eventually(async () => (await driver.info(q.name)).ready === 1, 5000, 'the foreign entry still there');
        expect(ids(await admin.peek(q.name, 10))).toEqual(['undecodable']);
      });
    }
  });
}
