import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version of the installed actorq: read from the package's own
 * `package.json`, found by walking up from this file (the same code runs
 * from `src/cli/` in a checkout and from `dist/src/cli/` when installed).
 * `unknown` if none is found.
 */
export function actorqVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'actorq' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // Not ours or not JSON: keep looking above.
      }
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
