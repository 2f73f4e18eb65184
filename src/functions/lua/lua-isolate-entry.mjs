// Entry point of a Lua isolate's worker thread (see lua-isolate.ts). A
// worker starts with none of its parent's module loaders. In the built
// package the isolate is compiled JavaScript beside this file: import it.
// In a checkout (TypeScript sources, no build) register tsx, as bin.mjs
// does for the command, then load the isolate.
//
// tsx's require hook, not its ESM loader: the hook compiles in this thread,
// while the loader starts a thread of its own per worker and made an
// isolate take two to three times as long to boot. The isolate's modules
// (lua-isolate-main.ts and what it imports) therefore avoid what CommonJS
// lacks: no top-level await, no import.meta.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const compiled = new URL('./lua-isolate-main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const require = createRequire(import.meta.url);
  require('tsx/cjs/api').register();
  require('./lua-isolate-main.ts');
}
