import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { runScript } from '../support/run-script.ts';

const script = fileURLToPath(new URL('./fixtures/lua-call-and-exit.mts', import.meta.url));

test('an idle Lua isolate does not keep the process alive (a function never closed)', async () => {
  // Generous for a loaded machine; without unref the process never exits.
  const { code, out } = await runScript(script);
  expect(out).toContain('value 42');
  expect(code).toBe(0);
}, 30_000);
