#!/usr/bin/env node
// Development entry of the `actorq` command, for a checkout: runs
// bin.ts from the TypeScript sources through tsx's loader, so the command
// always runs the code as it is now, without a build. The installed
// package runs the compiled dist/src/cli/bin.js with plain Node instead.
import { register } from 'tsx/esm/api';

register();
await import('./bin.ts');
