#!/usr/bin/env node
// Entry point of the `actorq` command. actorq ships its TypeScript sources;
// tsx's loader compiles them on the fly, so `npx actorq` works right after
// `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
// `actorq machines | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
