// Entry point of a Lua isolate's worker thread (see lua-isolate.ts). A
// worker starts with no module loader of its parent's, and actorq ships
// TypeScript sources: register tsx's loader, as bin.mjs does for the
// command, then load the isolate itself.
import { register } from 'tsx/esm/api';

register();
await import('./lua-isolate-main.ts');
