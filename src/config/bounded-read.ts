/**
 * Reading a file a configuration depends on (a registry file, a handler
 * source, a prelude) without trusting it: the file must be a regular file,
 * no larger than a limit, and UTF-8 text. The size is checked on the open
 * descriptor before reading, and no more than limit + 1 bytes are read, so
 * `/dev/zero`, a FIFO or a file that grows meanwhile cannot make actorq
 * read without end or block. @internal
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
const BASE_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Why a file was refused; `line` for text that is not UTF-8. @internal */
export interface Refusal {
  readonly message: string;
  readonly line?: number;
}

/** The outcome of {@link openBounded}. @internal */
export type Opened = { readonly ok: true; readonly handle: FileHandle; readonly size: number } | ({ readonly ok: false } & Refusal);

/** The outcome of {@link readBounded}. @internal */
export type Read = { readonly ok: true; readonly text: string; readonly size: number } | ({ readonly ok: false } & Refusal);

/** How to open. @internal */
export interface BoundedOptions {
  /** Largest size in bytes. */
  readonly maxBytes: number;
  /** Refuse a symlink as the last path component (the caller resolved it already). */
  readonly noFollow?: boolean;
}

/**
 * Opens `path` and checks it is a regular file within the size limit.
 * Messages do not repeat the path; callers put it in front. @internal
 */
export async function openBounded(path: string, options: BoundedOptions): Promise<Opened> {
  const flags = BASE_FLAGS | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0);
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, message: 'file not found' };
    if (code === 'ELOOP' && options.noFollow) return { ok: false, message: 'changed into a symlink while being checked' };
    return { ok: false, message: `cannot open: ${code ?? String(e)}` };
  }
  try {
    const info = await handle.stat();
    let refusal: string | undefined;
    if (!info.isFile()) refusal = `not a regular file (it is ${kindOf(info)})`;
    else if (info.size > options.maxBytes) refusal = `${formatBytes(info.size)}, over the size limit of ${formatBytes(options.maxBytes)}`;
    if (refusal === undefined) return { ok: true, handle, size: info.size };
    await handle.close();
    return { ok: false, message: refusal };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * {@link openBounded}, then reads the file as UTF-8 text (a byte-order mark
 * dropped). @internal
 */
export async function readBounded(path: string, options: BoundedOptions): Promise<Read> {
  const opened = await openBounded(path, options);
  if (!opened.ok) return opened;
  const { handle, size } = opened;
  try {
    const buffer = Buffer.allocUnsafe(Math.min(size, options.maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) break;
    }
    if (length > options.maxBytes) return { ok: false, message: `grew past the size limit of ${formatBytes(options.maxBytes)} while being read` };
    const bytes = buffer.subarray(0, length);
    try {
      return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), size: length };
    } catch {
      return { ok: false, line: firstBadLine(bytes), message: 'not valid UTF-8 text (save it as UTF-8)' };
    }
  } finally {
    await handle.close();
  }
}

/** Line of the first byte sequence that is not UTF-8. */
function firstBadLine(bytes: Buffer): number {
  // Walk whole characters: a valid one re-encodes to the same bytes, the first that does not is the culprit.
  const text = bytes.toString('utf8');
  let offset = 0;
  for (const ch of text) {
    const width = Buffer.byteLength(ch);
    if (ch === '\uFFFD' && !bytes.subarray(offset, offset + width).equals(Buffer.from(ch))) break;
    offset += width;
  }
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

function kindOf(info: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  return 'something other than a file';
}

/** `10 MiB` for whole units, `2047 bytes` otherwise, so two sizes never read alike. @internal */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}
