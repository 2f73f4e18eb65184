import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type amqplib from 'amqplib';
import { decodeTypedFields } from './typed-table.ts';

const require = createRequire(import.meta.url);
const main = require.resolve('amqplib');
const root = dirname(main) + sep;

/** amqplib's field-table codec (not in its package exports, so by path). */
export const amqplibCodec = require(join(dirname(main), 'lib', 'codec.js')) as {
  encodeTable(buffer: Buffer, table: Record<string, unknown>, offset: number): number;
  decodeFields(slice: Buffer): Record<string, unknown>;
};

let typed: typeof amqplib | undefined;

/**
 * A private copy of amqplib whose header tables come back with their wire
 * types (see `typed-table.ts`): what a client in another language, which
 * keeps the types, would see. The copy is loaded once with its own module
 * instances; the driver's amqplib (already loaded, or loaded later) is
 * not touched.
 */
export function typedAmqplib(): typeof amqplib {
  if (typed) return typed;
  const cache = require.cache;
  const own = (key: string) => key.startsWith(root) && !key.slice(root.length).includes(`node_modules${sep}`);
  const saved = new Map<string, NodeJS.Module>();
  for (const key of Object.keys(cache)) {
    if (own(key)) {
      saved.set(key, cache[key]!);
      delete cache[key];
    }
  }
  try {
    const codec = require(join(dirname(main), 'lib', 'codec.js')) as { decodeFields: unknown };
    // defs.js binds decodeFields when it loads, which is next.
    codec.decodeFields = decodeTypedFields;
    typed = require(main) as typeof amqplib;
  } finally {
    for (const key of Object.keys(cache)) if (own(key)) delete cache[key];
    for (const [key, module] of saved) cache[key] = module;
  }
  return typed;
}
