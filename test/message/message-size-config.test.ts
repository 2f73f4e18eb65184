import { describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../src/config/entry-types.ts';
import { issuesOf, parse } from '../config/helpers.ts';

const doc = (queueFields: string) => `namespace: app
entries:
  - { name: mem, kind: queue.driver.memory }
  - name: q
    kind: queue.queue
    driver: app:mem
${queueFields}`;

describe('max_message_size on a queue', () => {
  it('defaults to 1 MiB and takes a whole number of bytes', () => {
    expect((parse(doc('')).entries.get('app:q') as QueueEntry).max_message_size).toBe(1024 * 1024);
    expect((parse(doc('    max_message_size: 65536\n')).entries.get('app:q') as QueueEntry).max_message_size).toBe(65536);
  });

  it('out of range or not a whole number is a config error naming file, line, entry and field', async () => {
    const [tooSmall] = await issuesOf(doc('    max_message_size: 100\n'));
    expect(tooSmall).toMatchObject({ file: 'test.yaml', line: 7, entryId: 'app:q', field: 'max_message_size', message: 'max_message_size 100 is outside 1024..134217728 bytes' });
    const [tooBig] = await issuesOf(doc('    max_message_size: 200000000\n'));
    expect(tooBig).toMatchObject({ field: 'max_message_size' });
    const [text] = await issuesOf(doc('    max_message_size: lots\n'));
    expect(text).toMatchObject({ field: 'max_message_size' });
  });
});
