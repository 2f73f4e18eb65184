#!/usr/bin/env node
/**
 * Entry point of the `actorq` command as installed: the compiled
 * `dist/src/cli/bin.js`, run by plain Node. (`src/cli/bin.mjs` runs this
 * same file from the TypeScript sources, through tsx, in a checkout.)
 * @internal
 */
import { main } from './main.ts';

// `actorq machines | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
process.exitCode = await main(process.argv.slice(2));
