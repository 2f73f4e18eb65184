import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { compare, pairedRatio } from './bench-utils.ts';
function proc(root: string, name: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', `${root}/test/bench/memory-contenders.ts`, name, '1000000'], { cwd: root, env: process.env });
  child.stderr.pipe(process.stderr);
  const it = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return { next: async () => (await it.next()).value as string, run: async () => { child.stdin.write('run\n'); return Number((await it.next()).value); }, close: () => child.stdin.end() };
}
const [ra, na, rb, nb] = process.argv.slice(2);
const a = proc(ra!, na!), b = proc(rb!, nb!);
await a.next(); await b.next();
const r = await compare(Number(process.env.ROUNDS ?? 21), { a: () => a.run(), b: () => b.run() });
console.log(`${rb}:${nb} / ${ra}:${na} = ${pairedRatio(r.b!.runs, r.a!.runs).toFixed(3)}  a=${(r.a!.median/1e6).toFixed(2)}M b=${(r.b!.median/1e6).toFixed(2)}M`);
a.close(); b.close();
