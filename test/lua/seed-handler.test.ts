import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { loadFunctions } from '../../src/functions/load-functions.ts';
import type { LoadedFunction } from '../../src/kinds/kind-descriptors.ts';
import { fakeContext, type FakeContext } from './lua-test-kit.ts';

const specDir = fileURLToPath(new URL('../../specs/lua/', import.meta.url));
/** The seed page (Korean original), outside the repository. */
const SEED_PAGE = fileURLToPath(new URL('../../../shared/seed/000_a9db5d4df827dbea.txt', import.meta.url));
/** sha256 of the seed page's Lua handler block plus a final newline. */
const SEED_HANDLER_SHA256 = '64c35499d69b5ba102a9f18c34d3cd1a0a48dcd6f19771567ed3413453a61409';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
let functions: Map<string, LoadedFunction>;

beforeAll(async () => {
  functions = await loadFunctions(await loadConfig([specDir]));
});
afterAll(async () => {
  await Promise.all([...functions.values()].map((f) => f.close?.()));
});

async function run(id: string, body: unknown, ctx: FakeContext = fakeContext()) {
  try {
    return { acked: true, value: await functions.get(id)!.handler(body, ctx), ctx };
  } catch (error) {
    return { acked: false, error: error as Error, ctx };
  } finally {
    ctx.release();
  }
}

describe('specs/lua through the config loader (no runtime)', () => {
  test('task_handler.lua is the seed file byte for byte', () => {
    expect(sha256(readFileSync(`${specDir}task_handler.lua`, 'utf8'))).toBe(SEED_HANDLER_SHA256);
  });

  // The seed page lives beside the repository in the workplace, not in it:
  // where it is present, check the pinned digest against it too.
  test.runIf(existsSync(SEED_PAGE))('the pinned digest is the seed page\'s Lua block', () => {
    const seed = readFileSync(SEED_PAGE, 'utf8');
    const block = seed.slice(seed.indexOf('local json = require("json")'), seed.indexOf('return handler') + 'return handler'.length);
    expect(sha256(`${block}\n`)).toBe(SEED_HANDLER_SHA256);
  });

  test('a task acks with the result and logs Processing with its id', async () => {
    const r = await run('app.queue:task_handler', { id: 'task-1', action: 'process' });
    expect(r).toMatchObject({ acked: true, value: { id: 'task-1', action: 'process', status: 'done' } });
    expect(r.ctx.logs).toEqual([{ level: 'info', message: 'Processing', fields: { task_id: 'task-1' } }]);
  });

  test('fail = true nacks through return nil, err', async () => {
    const r = await run('app.queue:task_handler', { id: 'task-2', fail: true });
    expect(r.acked).toBe(false);
    expect(r.error!.message).toBe('task task-2 failed');
  });

  test('crash = true nacks through error() and is logged with the message id', async () => {
    const r = await run('app.queue:task_handler', { id: 'task-3', crash: true }, fakeContext({ id: 'm-3' }));
    expect(r.error!.message).toBe('process_task.lua:14: task task-3 crashed');
    expect(r.ctx.logs.at(-1)).toMatchObject({ level: 'error', fields: { message_id: 'm-3' } });
  });

  test('forward_handler publishes to app.queue:results from Lua', async () => {
    const r = await run('app.queue:forward_handler', { id: 't-9', data: { n: 1 } }, fakeContext({ id: 'm-9' }));
    expect(r.acked).toBe(true);
    expect(r.ctx.published).toEqual([
      {
        queueId: 'app.queue:results',
        body: { id: 't-9', action: 'process', data: { n: 1 }, source_message: 'm-9' },
        headers: { correlation_id: 'm-9' },
      },
    ]);
  });
});
