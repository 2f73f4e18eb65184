import { z } from 'zod';

const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
};

const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]+)?$/i;

/**
 * Parses a size such as `256MiB`, `64 MB`, `1GiB` or `512KiB` into bytes
 * (`KB`/`MB`/`GB` are powers of 1000, `KiB`/`MiB`/`GiB` of 1024; case does
 * not matter). A bare number is bytes. Returns `undefined` for anything
 * else, so callers can report where it was.
 *
 * @example
 * ```ts
 * parseByteSize('256MiB') // 268435456
 * ```
 */
export function parseByteSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.floor(text) : undefined;
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  const unit = UNIT_BYTES[(m[2] ?? 'b').toLowerCase()];
  return unit === undefined ? undefined : Math.floor(Number(m[1]) * unit);
}

/** `256 MiB` for whole MiB, else bytes: for messages. */
export function formatByteSize(bytes: number): string {
  return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MiB` : `${bytes} bytes`;
}

/**
 * A zod schema accepting a size string or a number of bytes, producing
 * bytes, within `[min, max]`.
 *
 * @example
 * ```ts
 * const schema = byteSizeSchema(32 * 2 ** 20, 2 ** 31)
 * schema.parse('256MiB') // 268435456
 * ```
 */
export function byteSizeSchema(min: number, max: number) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const bytes = parseByteSize(value);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `invalid size ${JSON.stringify(value)}: expected a number of bytes or a string like "64MiB", "256MB", "1GiB"` });
      return z.NEVER;
    }
    if (bytes < min || bytes > max) {
      ctx.addIssue({ code: 'custom', message: `size ${JSON.stringify(value)} is out of range: expected ${formatByteSize(min)} to ${formatByteSize(max)}` });
      return z.NEVER;
    }
    return bytes;
  });
}
