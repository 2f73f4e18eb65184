import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);

describe('actorq run --metrics --inspect, actorq status (subprocess)', () => {
  it('serves metrics and the inspector, status prints the table, SIGINT stops cleanly', { timeout: 30_000 }, async () => {
    const metricsPort = 20000 + Math.floor(Math.random() * 20000);
    const inspectPort = metricsPort + 1;
    const child = spawn('node', ['src/cli/bin.mjs', 'run', '--metrics', `127.0.0.1:${metricsPort}`, '--inspect', '--inspect-port', String(inspectPort), 'specs/seed'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!/running \d+ entries/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(stderr).toContain(`inspector at http://127.0.0.1:${inspectPort}`);
      expect(stderr).toContain('message payloads hidden');
      expect(stderr).toContain(`metrics at http://127.0.0.1:${metricsPort}/metrics`);
      const { stdout } = await exec('node', ['src/cli/bin.mjs', 'status', '--metrics-url', `http://127.0.0.1:${metricsPort}`]);
      expect(stdout).toContain('runtime: running');
      expect(stdout).toMatch(/app\.queue:task_consumer\s+consumer\s+running/);
      expect(stdout).toMatch(/app\.queue:memory_driver\s+driver\s+running\.connected/);
      expect(stdout).toMatch(/consumer\s+delivered\s+acked/);
      // The page needs the token printed at start.
      expect((await fetch(`http://127.0.0.1:${inspectPort}/`)).status).toBe(401);
      const pageUrl = new RegExp(`inspector at (http://127\\.0\\.0\\.1:${inspectPort}/\\?token=[\\w-]+)`).exec(stderr)![1]!;
      const page = await (await fetch(pageUrl)).text();
      expect(page).toContain('stately.ai/inspect');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('stopped cleanly');
  });

  it('status without a running server explains what to do', { timeout: 30_000 }, async () => {
    const r = await exec('node', ['src/cli/bin.mjs', 'status', '--metrics-url', 'http://127.0.0.1:1']).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(1);
    expect((r as { stderr: string }).stderr).toMatch(/cannot read http:\/\/127\.0\.0\.1:1\/status/);
  });
});
