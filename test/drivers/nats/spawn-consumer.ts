import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A NATS consumer child process and what it has reported so far. */
export interface ConsumerChild {
  readonly process: ChildProcess;
  readonly got: string[];
  readonly acked: string[];
  /** Resolves once the child is attached to its queue. */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
}

const CHILD = fileURLToPath(new URL('./consumer-child.ts', import.meta.url));

/** Spawns `consumer-child.ts` with `options` (see that file). */
export function spawnConsumer(options: { url: string; queue: string; ackWait: string; credit: number; handlerMs: number }): ConsumerChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const got: string[] = [];
  const acked: string[] = [];
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as { ready?: true; got?: string; acked?: string };
    if (e.ready) onReady();
    if (e.got !== undefined) got.push(e.got);
    if (e.acked !== undefined) acked.push(e.acked);
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return { process: proc, got, acked, ready, exited };
}
