import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = (...args: string[]) => run('node', ['src/cli/bin.mjs', ...args]).catch((e: { code: number; stdout: string; stderr: string }) => e);

describe('actorq diagram / machines (subprocess)', { timeout: 30_000 }, () => {
  it('diagram prints a Mermaid flowchart with concurrency, prefetch and dead-letter edges', async () => {
    const { stdout } = (await cli('diagram', 'specs/seed', 'specs/examples')) as { stdout: string };
    expect(stdout.startsWith('flowchart LR')).toBe(true);
    expect(stdout).toContain('n_app_queue_memory_driver --> n_app_queue_tasks');
    expect(stdout).toContain('n_app_queue_tasks -- "concurrency 4, prefetch 20" --> n_app_queue_task_consumer');
    expect(stdout).toContain('n_app_queue_task_consumer --> n_app_queue_task_handler');
    expect(stdout).toMatch(/-\. "dead letter after \d+ attempts" \.->/);
  });

  it('diagram reports config errors without a stack trace', async () => {
    const r = (await cli('diagram', 'specs/invalid/bad-reference.yaml')) as { code: number; stderr: string };
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('configuration invalid');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('machines --json exports every machine definition the visualiser loads', async () => {
    const { stdout } = (await cli('machines', '--json')) as { stdout: string };
    const all = JSON.parse(stdout);
    expect(Object.keys(all).sort()).toEqual(['connection', 'consumer', 'delivery', 'driver', 'queue', 'runtime', 'worker']);
    expect(all.consumer.id).toBe('consumer');
    expect(Object.keys(all.consumer.states)).toEqual(expect.arrayContaining(['idle', 'starting', 'running', 'draining', 'stopped', 'restarting', 'failed']));
    const one = JSON.parse(((await cli('machines', '--json', 'delivery')) as { stdout: string }).stdout);
    expect(one.states.processing.on['message.ack'][0].target).toEqual(['#delivery.acked']);
  });

  it('machines lists transitions; unknown machine exits 2', async () => {
    const { stdout } = (await cli('machines', 'worker')) as { stdout: string };
    expect(stdout).toContain('running --worker.drain--> draining');
    expect(((await cli('machines', 'nope')) as { code: number }).code).toBe(2);
  });
});
