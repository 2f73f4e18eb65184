import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diagramNodeId } from '../../src/inspect/topology-diagram.ts';

const run = promisify(execFile);
const cli = (...args: string[]) => run('node', ['src/cli/bin.mjs', ...args]).catch((e: { code: number; stdout: string; stderr: string }) => e);

describe('actorq diagram / machines (subprocess)', { timeout: 30_000 }, () => {
  it('diagram prints a Mermaid flowchart with concurrency, prefetch and dead-letter edges', async () => {
    const { stdout } = (await cli('diagram', 'specs/seed', 'specs/examples')) as { stdout: string };
    expect(stdout.startsWith('flowchart LR')).toBe(true);
    const [driver, tasks, consumer, handler] = ['memory_driver', 'tasks', 'task_consumer', 'task_handler'].map((n) => diagramNodeId(`app.queue:${n}`));
    expect(stdout).toContain(`${driver} --> ${tasks}`);
    expect(stdout).toContain(`${tasks} -- "concurrency 4, prefetch 20" --> ${consumer}`);
    expect(stdout).toContain(`${consumer} --> ${handler}`);
    expect(stdout).toMatch(/-\. "dead letter after \d+ attempts" \.->/);
  });

  it('diagram gives entries whose IDs differ only in punctuation their own nodes (orders-eu vs orders_eu)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'actorq-diagram-'));
    try {
      writeFileSync(
        path.join(dir, 'q.yaml'),
        `namespace: app
entries:
  - { name: mem, kind: queue.driver.memory }
  - { name: orders-eu, kind: queue.queue, driver: app:mem }
  - { name: orders_eu, kind: queue.queue, driver: app:mem }
  - { name: orders.eu, kind: queue.queue, driver: app:mem }
`,
      );
      const { stdout } = (await cli('diagram', dir)) as { stdout: string };
      const queueNodes = stdout.split('\n').filter((l) => l.includes('[["app:orders'));
      expect(queueNodes).toHaveLength(3);
      const ids = queueNodes.map((l) => /^\s*(\w+)\[\[/.exec(l)![1]);
      expect(new Set(ids).size).toBe(3);
      for (const id of ids) expect(stdout).toContain(`${diagramNodeId('app:mem')} --> ${id}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('diagram node ids are distinct for any two distinct entry ids and safe for Mermaid', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(diagramNodeId(a)).toMatch(/^n_[A-Za-z0-9_]*$/);
        if (a !== b) expect(diagramNodeId(a)).not.toBe(diagramNodeId(b));
      }),
      { numRuns: 2000 },
    );
    for (const [a, b] of [['orders-eu', 'orders_eu'], ['a_2d_b', 'a-b'], ['a.b', 'a:b'], ['a_', 'a-'], ['_', '__']]) expect(diagramNodeId(a)).not.toBe(diagramNodeId(b));
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
    expect(one.states.processing.on['message.ack']).toEqual({ target: 'acked', actions: 'settleAck' });
  });

  it('machines lists transitions; unknown machine exits 2', async () => {
    const { stdout } = (await cli('machines', 'worker')) as { stdout: string };
    expect(stdout).toContain('running --worker.drain--> draining');
    expect(((await cli('machines', 'nope')) as { code: number }).code).toBe(2);
  });
});
