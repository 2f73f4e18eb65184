import { Session } from 'node:inspector/promises';

/**
 * Bytes allocated per message by one run of `run(count)`, everything
 * counted, including what the garbage collector freed during the run: V8's
 * sampling heap profiler records an allocation every `interval` bytes on
 * average, with its call stack, and is told to keep the samples of
 * collected objects. The run is slower while sampled, so it is never a
 * timed one. Also gives the functions that allocated the most.
 */
export async function allocatedPerMessage(
  run: (count: number) => Promise<unknown>,
  count: number,
  interval = 256,
): Promise<{ bytes: number; top: { site: string; bytes: number }[] }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: interval,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await run(count);
    const { profile } = await session.post('HeapProfiler.stopSampling');
    const bySite = new Map<string, number>();
    let total = 0;
    const walk = (node: typeof profile.head): void => {
      if (node.selfSize > 0) {
        const frame = node.callFrame;
        const site = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}`;
        bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
        total += node.selfSize;
      }
      for (const child of node.children) walk(child);
    };
    walk(profile.head);
    const top = [...bySite]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([site, bytes]) => ({ site, bytes: bytes / count }));
    return { bytes: total / count, top };
  } finally {
    session.disconnect();
  }
}
