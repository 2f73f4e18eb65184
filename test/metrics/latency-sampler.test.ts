import { describe, expect, it } from 'vitest';
import { FAST_SAMPLE_MS, LatencySampler } from '../../src/metrics/latency-sampler.ts';

describe('latency sampler: how often the pool times a message', () => {
  it('starts at 1 in 16', () => {
    expect(new LatencySampler().sampleMask).toBe(15);
  });

  it('times ever fewer messages while handlers are as cheap as the clock, down to 1 in 1,024', () => {
    const s = new LatencySampler();
    const masks = [];
    for (let i = 0; i < 8; i++) {
      s.record(FAST_SAMPLE_MS / 2);
      masks.push(s.sampleMask);
    }
    expect(masks).toEqual([31, 63, 127, 255, 511, 1023, 1023, 1023]);
  });

  it('goes back to 1 in 16 at the first slower sample, and every sample is still recorded', () => {
    const s = new LatencySampler();
    for (let i = 0; i < 10; i++) s.record(0.001);
    s.record(2);
    expect(s.sampleMask).toBe(15);
    expect(s.histogram().count).toBe(11);
    expect(s.percentiles().p99).toBe(2);
  });
});
