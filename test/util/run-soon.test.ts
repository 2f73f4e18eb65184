import { describe, expect, it } from 'vitest';
import { runSoon } from '../../src/util/run-soon.ts';

describe('runSoon', () => {
  it('runs the function after the current synchronous code, before any macrotask', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('immediate'));
    runSoon(() => order.push('soon'));
    order.push('sync');
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['sync', 'soon', 'immediate']);
  });

  it('keeps the order of calls, interleaved with other microtasks as queued', async () => {
    const order: number[] = [];
    runSoon(() => order.push(1));
    queueMicrotask(() => order.push(2));
    runSoon(() => order.push(3));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([1, 2, 3]);
  });

  it('hands the function only the settled value (undefined), which pumps ignore', async () => {
    let args: unknown[] | undefined;
    runSoon((...a: unknown[]) => {
      args = a;
    });
    await Promise.resolve();
    expect(args).toEqual([undefined]);
  });
});
