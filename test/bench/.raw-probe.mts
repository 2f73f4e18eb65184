import { createLuaEngine } from '../../src/functions/lua/lua-engine.ts';
import { LuaRaw } from '../../src/functions/lua/lua-raw.ts';
const eng = await createLuaEngine();
const raw = new LuaRaw(eng.global.lua);
const L = eng.global.address;
const m: any = eng.global.lua.module;
const task = (i: number) => ({ id: `task-${i}`, action: 'process', data: { n: i, tags: ['a', 'b'] } });
eng.global.loadString('return { id = "task-1", action = "process", status = "done" }', 'x'); m._lua_pcallk(L, 0, 1, 0, 0, 0);
const N = 300000;
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  for (let i = 0; i < N; i++) { raw.push(L, task(i)); raw.setTop(L, 1); }
  const a = (performance.now() - t) / N * 1e3;
  t = performance.now();
  for (let i = 0; i < N; i++) raw.read(L, 1);
  const b = (performance.now() - t) / N * 1e3;
  t = performance.now();
  for (let i = 0; i < N; i++) raw.top(L);
  const c = (performance.now() - t) / N * 1e3;
  console.log('push', a.toFixed(2), 'us; read', b.toFixed(2), 'us; top', (c*1000).toFixed(0), 'ns');
}
