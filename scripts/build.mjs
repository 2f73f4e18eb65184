#!/usr/bin/env node
// `npm run build`: compiles src/ and machines/ into dist/ (ESM JavaScript,
// .d.ts, source maps with the sources inlined) and copies the files tsc does
// not emit but the code reads next to itself at run time: the Lua bootstrap
// and the worker-thread entry of Lua isolates. Plain Node, no dependencies
// but the TypeScript compiler, so `npm ci` (which runs `prepare`) can call it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
/** Files beside the sources that the compiled code opens by URL relative to itself. */
const ASSET = /\.(lua|mjs)$/;
/** The development entry of the command (registers tsx); the package runs dist/src/cli/bin.js. */
const NOT_SHIPPED = new Set([join('src', 'cli', 'bin.mjs')]);

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) {
  console.error('build: tsc failed');
  process.exit(result.status ?? 1);
}

let copied = 0;
for (const file of walk(join(root, 'src'))) {
  const rel = relative(root, file);
  if (!ASSET.test(file) || NOT_SHIPPED.has(rel)) continue;
  mkdirSync(dirname(join(dist, rel)), { recursive: true });
  copyFileSync(file, join(dist, rel));
  copied++;
}
console.log(`build: dist/ compiled, ${copied} asset file(s) copied`);

function* walk(dir) {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, d.name);
    if (d.isDirectory()) yield* walk(full);
    else if (d.isFile()) yield full;
  }
}
