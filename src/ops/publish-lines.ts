import { ActorqError } from '../errors/actorq-error.ts';
import type { Publisher, PublishCallOptions } from '../runtime/publisher.ts';

/** Lines published per driver call. */
const BATCH = 500;

/** What {@link publishLines} did. */
export interface LinesReport {
  /** Messages the backend accepted. */
  readonly published: number;
  /** Lines not published (not JSON, or refused by the body and size rules), with why; the rest went on. */
  readonly skipped: readonly { readonly line: number; readonly reason: string }[];
  /**
   * Set when a failure of the backend stopped the publishing: lines from
   * `fromLine` on were not published, except that the batch starting there
   * may be partly stored (a backend keeps what it accepted before failing).
   */
  readonly stopped?: { readonly fromLine: number; readonly error: unknown };
}

/**
 * Publishes one message per line (JSON text; blank lines are ignored) to
 * `queueId`, in order, in batches. A line that is not JSON, or whose body
 * the publish rules refuse, is skipped and reported with its line number;
 * the other lines still go. A backend failure stops at that batch.
 *
 * @example
 * ```ts
 * const report = await publishLines(ops.publisher, 'app:tasks', readline.createInterface({ input: process.stdin }))
 * ```
 */
export async function publishLines(publisher: Publisher, queueId: string, lines: AsyncIterable<string>, options: PublishCallOptions = {}): Promise<LinesReport> {
  let published = 0;
  const skipped: { line: number; reason: string }[] = [];
  let bodies: unknown[] = [];
  let lineNumbers: number[] = [];

  const flush = async (): Promise<{ fromLine: number; error: unknown } | undefined> => {
    if (bodies.length === 0) return undefined;
    const batch = bodies;
    const numbers = lineNumbers;
    bodies = [];
    lineNumbers = [];
    try {
      await publisher.publishBatch(queueId, batch, options);
      published += batch.length;
      return undefined;
    } catch (error) {
      if (!isRefusal(error)) return { fromLine: numbers[0]!, error };
    }
    // A refused batch stored nothing: publish its lines one by one to find which.
    for (let i = 0; i < batch.length; i++) {
      try {
        await publisher.publish(queueId, batch[i], options);
        published++;
      } catch (error) {
        if (!isRefusal(error)) return { fromLine: numbers[i]!, error };
        skipped.push({ line: numbers[i]!, reason: (error as Error).message });
      }
    }
    return undefined;
  };

  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    try {
      bodies.push(JSON.parse(text));
      lineNumbers.push(n);
    } catch (error) {
      skipped.push({ line: n, reason: `not JSON: ${(error as Error).message}` });
      continue;
    }
    if (bodies.length >= BATCH) {
      const stopped = await flush();
      if (stopped) return { published, skipped, stopped };
    }
  }
  const stopped = await flush();
  return stopped ? { published, skipped, stopped } : { published, skipped };
}

/** Refused by the publish checks before anything was stored (not a backend failure). */
function isRefusal(error: unknown): boolean {
  return error instanceof ActorqError && (error.code === 'INVALID_MESSAGE' || error.code === 'MESSAGE_TOO_LARGE');
}
