import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { silentLogger } from '../../src/util/logger.ts';

let dir: string | undefined;
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  if (dir) rmSync(dir, { recursive: true, force: true });
  runtime = dir = undefined;
});

function project(handlerSource: string): { dir: string; marker: string } {
  dir = mkdtempSync(join(tmpdir(), 'actorq-load-'));
  const marker = join(dir, 'ran.txt');
  writeFileSync(join(dir, 'handler.mjs'), handlerSource.replace('MARKER', JSON.stringify(marker)));
  writeFileSync(
    join(dir, 'app.yaml'),
    `namespace: app
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: app:d }
  - { name: c, kind: queue.consumer, queue: app:q, func: app:h, lifecycle: { auto_start: true } }
  - { name: h, kind: function.js, source: file://handler.mjs }
`,
  );
  return { dir, marker };
}

describe('loading is not running: a handler module runs at start(), not at load()', () => {
  it('load() checks the handler without executing it; start() runs it', async () => {
    const p = project(`import { writeFileSync } from 'node:fs';\nwriteFileSync(MARKER, 'x');\nexport default async function handle() {}\n`);
    runtime = createRuntime({ files: [p.dir], logger: silentLogger });
    await runtime.load();
    expect(existsSync(p.marker)).toBe(false);
    await runtime.start();
    expect(existsSync(p.marker)).toBe(true);
  });

  it('a handler that does not parse fails load() with a ConfigError, and nothing ran', async () => {
    const p = project(`import { writeFileSync } from 'node:fs';\nwriteFileSync(MARKER, 'x');\nexport default async function handle( {}\n`);
    runtime = createRuntime({ files: [p.dir], logger: silentLogger });
    await expect(runtime.load()).rejects.toBeInstanceOf(ConfigError);
    expect(existsSync(p.marker)).toBe(false);
  });
});
