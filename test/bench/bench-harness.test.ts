import { describe, expect, it } from 'vitest';
import { compare, median, middleHalf, pairedRatio, pairedSpread } from './bench-utils.ts';
import { runMemoryBench } from './memory-bench.ts';
import { allocatedPerMessage } from './allocation-sampler.ts';

// The benchmark's figures are only as fair as its harness: these check the
// parts its fairness rests on. Speed itself is never asserted here.
describe('benchmark harness', () => {
  it('compare flips the order of the contenders every round', async () => {
    const calls: string[] = [];
    const contender = (name: string, rate: number) => async () => {
      calls.push(name);
      return rate;
    };
    const results = await compare(4, { a: contender('a', 1), b: contender('b', 2), c: contender('c', 3) });
    expect(calls).toEqual(['a', 'b', 'c', 'c', 'b', 'a', 'a', 'b', 'c', 'c', 'b', 'a']);
    expect(results['b']).toEqual({ median: 2, runs: [2, 2, 2, 2] });
  });

  it('pairedRatio is the median of the per-round ratios', () => {
    expect(pairedRatio([2, 3, 10], [1, 3, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('pairedSpread is the middle half of the per-round ratios', () => {
    // Ratios 0.5, 1, 2, 4: first quartile 1, third quartile 4 (the element a quarter and three quarters in).
    expect(pairedSpread([1, 3, 8, 4], [2, 3, 4, 1])).toBe('1.00-4.00');
    expect(middleHalf([1.234])).toBe('1.23-1.23');
  });

  it('allocatedPerMessage counts what a run allocates, freed objects included', async () => {
    const kept: number[][] = [];
    // Each "message" allocates one array of 1000 small integers (8 KB of elements on 64-bit V8) and drops it at once.
    const run = async (count: number) => {
      for (let i = 0; i < count; i++) {
        kept[0] = new Array<number>(1000).fill(i);
      }
    };
    const { bytes, top } = await allocatedPerMessage(run, 2000);
    expect(bytes).toBeGreaterThan(8000 * 0.85);
    expect(bytes).toBeLessThan(8100 * 1.15);
    expect(top[0]!.site).toMatch(/^run /);
  });

  it('the memory section runs every contender in its own process and reports the ratios', async () => {
    const lines = await runMemoryBench(1, 20_000);
    const text = lines.join('\n');
    for (const name of ['fastq', 'fastq again', 'fastq.promise', 'actorq', 'fastq.promise each', 'fastq.promise each again', 'actorq each']) {
      expect(text).toMatch(new RegExp(`^  ${name.replace('.', '\\.')} +[\\d.]+[kM]? msg/s`, 'm'));
    }
    const ratio = /actorq\/fastq, median of per-round ratios: ([\d.]+)x \(middle half of rounds [\d.]+-[\d.]+\)/.exec(text);
    expect(Number(ratio?.[1])).toBeGreaterThan(0);
    const each = /actorq each\/fastq\.promise each, median of per-round ratios: ([\d.]+)x/.exec(text);
    expect(Number(each?.[1])).toBeGreaterThan(0);
    for (const name of ['fastq', 'fastq.promise', 'actorq', 'fastq.promise each', 'actorq each']) {
      expect(text).toMatch(new RegExp(`allocated per message .*[:,] ${name.replace('.', '\\.')} [1-9]\\d* B`));
    }
  }, 60_000);
});
