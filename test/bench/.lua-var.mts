import { loadLua, fakeContext } from '../lua/lua-test-kit.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
const ctx: any = { message: { id: 'bench', headers: {}, header: () => undefined, ack() {}, nack() {} }, signal: new AbortController().signal, logger: silentLogger, consumerId: 'c', publish: async () => {}, info: async () => ({}) };
const task = (i: number) => ({ id: `task-${i}`, action: 'process', data: { n: i, tags: ['a', 'b'] } });
const variants: Record<string, [string, (i: number) => unknown]> = {
  empty: ['return function() end', (i) => i],
  body: ['return function(b) end', task],
  log: ['local l = require("logger") return function(b) l.info("Processing", { task_id = "x" }) end', (i) => i],
  result: ['return function(b) return { id = "task-1", action = "process", status = "done" } end', (i) => i],
  seed: ['local json = require("json") local l = require("logger") return function(b) local d = json.decode(b) l.info("Processing", { task_id = d.id }) return { id = d.id, action = d.action, status = "done" } end', task],
};
const N = 30000;
for (const [name, [code, mk]] of Object.entries(variants)) {
  const fn = await loadLua({ 'handler.lua': code }, { modules: ['json', 'logger'] });
  const res: string[] = [];
  for (let r = 0; r < 6; r++) {
    const t = process.cpuUsage();
    for (let i = 0; i < N; i++) await fn.handler(mk(i), ctx);
    const u = process.cpuUsage(t);
    res.push(((u.user + u.system) / N).toFixed(2));
  }
  console.log(name, res.join(' '), 'us/msg');
  await fn.close?.();
}
