import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import { isQueueEntry } from '../../src/config/registry.ts';
import { retryYaml, timeoutYaml } from './memory-contenders.ts';
import { runMemoryRetryBench } from './memory-retry-bench.ts';

// The retry section compares like with like only if its contender really
// has a policy configured; speed itself is never asserted here.
describe('benchmark harness: retry section', () => {
  it('the actorq-retry contender runs on a queue with retry and dead_letter configured', () => {
    const registry = parseConfigText(retryYaml, '<bench>', { extraFunctionIds: ['bench:handler'] });
    const q = registry.entries.get('bench:q');
    expect(q && isQueueEntry(q) ? { retry: q.retry, dead_letter: q.dead_letter } : undefined).toEqual({
      retry: { initial_delay: 1000, backoff_factor: 2, max_delay: 300_000, jitter: 0.1 },
      dead_letter: { queue: 'bench:dlq', max_attempts: 5 },
    });
  });

  it('the actorq-timeout contender runs a consumer with a timeout', () => {
    const registry = parseConfigText(timeoutYaml, '<bench>', { extraFunctionIds: ['bench:handler'] });
    expect(registry.entries.get('bench:c')).toMatchObject({ timeout: 30_000 });
  });

  it('runs each contender in its own process and reports the ratio and the noise line', async () => {
    const text = (await runMemoryRetryBench(1, 20_000)).join('\n');
    for (const name of ['actorq', 'actorq again', 'actorq-retry', 'actorq-timeout']) expect(text).toMatch(new RegExp(`^  ${name} +[\\d.]+[kM]? msg/s`, 'm'));
    expect(Number(/actorq-retry\/actorq, median of per-round ratios: ([\d.]+)x/.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/actorq-timeout\/actorq, median of per-round ratios: ([\d.]+)x/.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/actorq again\/actorq \(same code, the harness's noise\): [\d.]+x/);
  }, 60_000);
});
