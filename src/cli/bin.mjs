#!/usr/bin/env node
// Entry point of the `actorq` command. actorq ships its TypeScript sources;
// tsx's loader compiles them on the fly, so `npx actorq` works right after
// `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
