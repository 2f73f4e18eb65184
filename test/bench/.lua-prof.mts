import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load-config.ts';
import { loadFunctions } from '../../src/config/load-functions.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
const specDir = fileURLToPath(new URL('../../specs/lua/', import.meta.url));
const functions = await loadFunctions(await loadConfig([specDir]));
const lua = functions.get('app.queue:task_handler')!;
const ctx: any = { message: { id: 'bench', headers: {}, header: () => undefined, ack() {}, nack() {} }, signal: new AbortController().signal, logger: silentLogger, consumerId: 'c', publish: async () => {}, info: async () => ({}) };
const task = (i: number) => ({ id: `task-${i}`, action: 'process', data: { n: i, tags: ['a', 'b'] } });
const N = Number(process.env.N ?? 20000);
for (let r = 0; r < 5; r++) {
  const t = performance.now();
  for (let i = 0; i < N; i++) await lua.handler(task(i), ctx);
  console.log(((performance.now() - t) / N * 1000).toFixed(2), 'us/msg');
}
await Promise.all([...functions.values()].map((f) => f.close?.()));
