import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** config/app.yaml naming ../handlers/h.mjs: outside the YAML's own directory. */
function layout(): string {
  dir = mkdtempSync(join(tmpdir(), 'actorq-root-'));
  mkdirSync(join(dir, 'config'));
  mkdirSync(join(dir, 'handlers'));
  writeFileSync(join(dir, 'handlers', 'h.mjs'), 'export default async function handle() {}\n');
  writeFileSync(
    join(dir, 'config', 'app.yaml'),
    `namespace: app
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: app:d }
  - { name: c, kind: queue.consumer, queue: app:q, func: app:h, lifecycle: { auto_start: true } }
  - { name: h, kind: function.js, source: file://../handlers/h.mjs }
`,
  );
  return dir;
}

describe('createRuntime({ root })', () => {
  it('refuses a source outside the YAML file\'s directory by default', async () => {
    const d = layout();
    runtime = createRuntime({ files: [join(d, 'config')], logger: silentLogger });
    const error = await runtime.load().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/app:h field source/);
  });

  it('accepts it when root is the project directory, and runs it', async () => {
    const d = layout();
    runtime = createRuntime({ files: [join(d, 'config')], root: d, logger: silentLogger });
    await runtime.start();
    await runtime.publish('app:q', { n: 1 });
    await new Promise((r) => setTimeout(r, 50));
    expect(runtime.consumerStats('app:c').acked).toBe(1);
  });
});
