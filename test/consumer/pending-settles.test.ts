import { describe, expect, it } from 'vitest';
import { PendingSettles } from '../../src/consumer/pending-settles.ts';
import type { Logger } from '../../src/util/logger.ts';

function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  const ignore = () => {};
  return { errors, debug: ignore, info: ignore, warn: ignore, error: (message) => errors.push(message) };
}

describe('PendingSettles', () => {
  it('follows a batch settle handed to every message of the batch once: one wait, one log line if it fails', async () => {
    const logger = recordingLogger();
    const settles = new PendingSettles('app:c', logger);
    let fail!: (error: Error) => void;
    const batch = new Promise<void>((_, reject) => (fail = reject));
    for (let i = 0; i < 110; i++) settles.track(batch);
    expect(settles.size).toBe(1);
    fail(new Error('connection lost'));
    await settles.settled();
    expect(settles.size).toBe(0);
    expect(logger.errors).toEqual(['settling a message failed; the backend will redeliver it']);
  });

  it('waits for every distinct settle still on its way', async () => {
    const settles = new PendingSettles('app:c', recordingLogger());
    const resolvers: (() => void)[] = [];
    for (let i = 0; i < 3; i++) settles.track(new Promise<void>((resolve) => resolvers.push(resolve)));
    settles.track(undefined);
    expect(settles.size).toBe(3);
    let done = false;
    const waiting = settles.settled().then(() => (done = true));
    resolvers[0]!();
    resolvers[2]!();
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    resolvers[1]!();
    await waiting;
    expect(settles.size).toBe(0);
  });
});
