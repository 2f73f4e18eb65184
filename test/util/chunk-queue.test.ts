import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChunkQueue } from '../../src/util/chunk-queue.ts';

type Op = { push: number } | { pushAll: number[] } | { unshiftAll: number[] } | { take: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ push: fc.integer() }),
  fc.record({ pushAll: fc.array(fc.integer(), { maxLength: 8 }) }),
  fc.record({ unshiftAll: fc.array(fc.integer(), { maxLength: 4 }) }),
  fc.record({ take: fc.nat(20) }),
);

describe('ChunkQueue', () => {
  it('behaves as a plain array FIFO whatever mix of single pushes, batches, releases and takes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 1500 }), (ops) => {
        const q = new ChunkQueue<number>();
        const model: number[] = [];
        for (const o of ops) {
          if ('push' in o) (q.push(o.push), model.push(o.push));
          else if ('pushAll' in o) (q.pushAll([...o.pushAll]), model.push(...o.pushAll));
          else if ('unshiftAll' in o) (q.unshiftAll([...o.unshiftAll]), model.unshift(...o.unshiftAll));
          else expect(q.take(o.take)).toEqual(model.splice(0, o.take));
          expect(q.length).toBe(model.length);
        }
        expect([...q]).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });

  it('a run of single pushes shares arrays: a batch taken from it is one slice', () => {
    const q = new ChunkQueue<number>();
    for (let i = 0; i < 1000; i++) q.push(i);
    expect(q.take(100)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(q.take(1000)).toEqual(Array.from({ length: 900 }, (_, i) => i + 100));
    expect(q.length).toBe(0);
  });
});
