import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The example in docs/testing.md is the test file next to this one
 * (`docs-testing-example.test.ts`), word for word, but for where the kit is
 * imported from: so the documented example always runs.
 */
const root = new URL('../../', import.meta.url);
const doc = readFileSync(new URL('docs/testing.md', root), 'utf8');
const example = readFileSync(new URL('test/model/docs-testing-example.test.ts', root), 'utf8');

describe('docs/testing.md', () => {
  it('shows the example test exactly, importing from actorq/testing', () => {
    const section = doc.slice(doc.indexOf('## Example'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBeDefined();
    expect(block).toContain("from 'actorq/testing';");
    expect(block).toBe(example.replace("from '../../src/testing/index.ts';", "from 'actorq/testing';"));
  });
});
