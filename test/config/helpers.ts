import { expect } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../src/errors/config-error.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import type { LoadConfigOptions } from '../../src/config/load-config.ts';
import type { Registry } from '../../src/config/registry.ts';
import { memoryDriverKind } from '../../src/drivers/memory/memory-kind.ts';
import { jsFunctionKind } from '../../src/functions/js-function-kind.ts';
import type { KindCatalog } from '../../src/kinds/kind-descriptors.ts';

/** Only the kinds these tests are about, so kinds added elsewhere do not change messages. */
export const testKinds: KindCatalog = {
  drivers: new Map([[memoryDriverKind.kind, memoryDriverKind]]),
  functions: new Map([[jsFunctionKind.kind, jsFunctionKind]]),
};

/** The ConfigError thrown by `fn` (sync or async); fails the test if none is. */
export async function configErrorOf(fn: () => unknown): Promise<ConfigError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

/** Issues of parsing `text` as `test.yaml`. */
export async function issuesOf(text: string, options?: LoadConfigOptions): Promise<readonly ConfigIssue[]> {
  return (await configErrorOf(() => parse(text, options))).issues;
}

/** Parses `text` as `test.yaml`, with {@link testKinds} unless other kinds are given. */
export function parse(text: string, options?: LoadConfigOptions): Registry {
  return parseConfigText(text, 'test.yaml', { kinds: testKinds, ...options });
}

/**
 * A registry document with a memory driver `app:mem`, a queue `app:q` and a
 * function `app:f` (a programmatic ID, see `FN`), plus `extra` entries.
 */
export function doc(extra: string): string {
  return `namespace: app
entries:
  - name: mem
    kind: queue.driver.memory
  - name: q
    kind: queue.queue
    driver: app:mem
${extra}`;
}

/** Options declaring `app:f` as a function supplied in code. */
export const FN: LoadConfigOptions = { kinds: testKinds, extraFunctionIds: ['app:f'] };
